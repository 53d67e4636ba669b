from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Country, Currency, HSCode, IntegratedPortPair, Organisation, Port, ServiceHeartbeat, User


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ["name_en", "name_zh", "kind", "country", "uscc"]
    list_filter = ["kind", "country"]
    search_fields = ["name_en", "name_zh", "uscc"]


@admin.register(User)
class PortalUserAdmin(UserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "organisation", "role", "is_active", "last_login"]
    list_filter = ["role", "organisation__kind", "is_active"]
    list_select_related = ["organisation"]
    fieldsets = UserAdmin.fieldsets + ((_("Portal"), {"fields": ["organisation", "role", "ports_served"]}),)
    add_fieldsets = UserAdmin.add_fieldsets + ((_("Portal"), {"fields": ["organisation", "role"]}),)
    filter_horizontal = ["ports_served", "groups", "user_permissions"]


@admin.register(Port)
class PortAdmin(SimpleHistoryAdmin):
    list_display = ["locode", "name_en", "name_zh", "country", "kind", "timezone"]
    list_filter = ["kind", "country"]
    search_fields = ["locode", "name_en", "name_zh"]


@admin.register(IntegratedPortPair)
class IntegratedPortPairAdmin(SimpleHistoryAdmin):
    list_display = ["name_en", "river_port", "hub_port", "since"]


@admin.register(Country)
class CountryAdmin(SimpleHistoryAdmin):
    list_display = ["alpha2", "alpha3", "name_en", "name_zh"]
    search_fields = ["alpha2", "alpha3", "name_en", "name_zh"]


@admin.register(Currency)
class CurrencyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name_en", "minor_units"]
    search_fields = ["code", "name_en"]


@admin.register(HSCode)
class HSCodeAdmin(SimpleHistoryAdmin):
    list_display = ["code", "description_en", "is_leaf", "sensitive_reason", "unit_value_min", "unit_value_max"]
    list_filter = ["is_leaf", "sensitive_reason"]
    search_fields = ["code", "description_en", "description_zh"]
    raw_id_fields = ["parent"]


@admin.register(ServiceHeartbeat)
class ServiceHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_seen", "detail"]
    readonly_fields = ["name", "last_seen", "detail"]
