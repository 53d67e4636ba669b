from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    ContainerEvent,
    Declaration,
    DeclarationContainer,
    DeclarationItem,
    Manifest,
    ManifestLine,
    PortRiskSettings,
    ReferenceSequence,
    RiskRule,
    SensorReading,
    SupportingDocument,
    VerificationRun,
)


class ItemInline(admin.TabularInline):
    model = DeclarationItem
    extra = 0
    raw_id_fields = ["hs_code"]


class ContainerInline(admin.TabularInline):
    model = DeclarationContainer
    extra = 0


class DocumentInline(admin.TabularInline):
    model = SupportingDocument
    extra = 0
    readonly_fields = ["original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]


@admin.register(Declaration)
class DeclarationAdmin(SimpleHistoryAdmin):
    """For support staff: workflow fields are read-only here; states change only through the services."""

    list_display = ["__str__", "declarant", "status", "lane", "procedure", "origin_port", "submitted_at"]
    list_filter = ["status", "lane", "procedure", "direction"]
    list_select_related = ["declarant", "origin_port"]
    search_fields = ["reference", "transport_document_number", "containers__number"]
    readonly_fields = [
        "reference",
        "public_id",
        "status",
        "lane",
        "version",
        "submitted_at",
        "decided_at",
        "created_by",
        "created_at",
    ]
    raw_id_fields = ["declarant"]
    inlines = [ItemInline, ContainerInline, DocumentInline]


@admin.register(DeclarationItem)
class DeclarationItemAdmin(SimpleHistoryAdmin):
    list_display = ["declaration", "line_number", "hs_code", "description", "value"]
    raw_id_fields = ["declaration", "hs_code"]


@admin.register(DeclarationContainer)
class DeclarationContainerAdmin(SimpleHistoryAdmin):
    list_display = ["number", "declaration", "size_type", "seal_number"]
    search_fields = ["number"]
    raw_id_fields = ["declaration"]


@admin.register(SupportingDocument)
class SupportingDocumentAdmin(SimpleHistoryAdmin):
    list_display = ["original_name", "declaration", "kind", "content_type", "size", "uploaded_at"]
    raw_id_fields = ["declaration"]


@admin.register(ReferenceSequence)
class ReferenceSequenceAdmin(admin.ModelAdmin):
    list_display = ["port", "year", "last_number"]
    readonly_fields = ["port", "year", "last_number"]


@admin.register(PortRiskSettings)
class PortRiskSettingsAdmin(SimpleHistoryAdmin):
    list_display = [
        "port",
        "gross_mass_tolerance_percent",
        "random_selection_percent",
        "yellow_score",
        "red_score",
        "auto_release_green",
    ]


@admin.register(RiskRule)
class RiskRuleAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "active",
        "port",
        "hs_prefix",
        "origin_country",
        "trader",
        "min_value",
        "score",
        "forced_lane",
    ]
    list_filter = ["active", "forced_lane"]
    raw_id_fields = ["trader"]


class ManifestLineInline(admin.TabularInline):
    model = ManifestLine
    extra = 0


@admin.register(Manifest)
class ManifestAdmin(admin.ModelAdmin):
    list_display = ["__str__", "source", "external_id", "received_at"]
    search_fields = ["external_id", "vessel", "lines__transport_document_number"]
    inlines = [ManifestLineInline]


@admin.register(ContainerEvent)
class ContainerEventAdmin(admin.ModelAdmin):
    list_display = ["container_number", "event_type", "port", "occurred_at", "seal_number", "weight", "source"]
    list_filter = ["event_type"]
    search_fields = ["container_number", "external_id"]


@admin.register(SensorReading)
class SensorReadingAdmin(admin.ModelAdmin):
    list_display = ["container_number", "kind", "value", "read_at", "device", "source"]
    list_filter = ["kind"]
    search_fields = ["container_number", "device"]


@admin.register(VerificationRun)
class VerificationRunAdmin(admin.ModelAdmin):
    list_display = ["declaration", "version", "lane", "score", "runs", "finished_at"]
    raw_id_fields = ["declaration"]
