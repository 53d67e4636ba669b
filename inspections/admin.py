from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Booking,
    Inspection,
    InspectionFinding,
    InspectionPhoto,
    InspectionSite,
    InspectionSlot,
    PortInspectionSettings,
    SiteClosure,
)


class ClosureInline(admin.TabularInline):
    model = SiteClosure
    extra = 0


@admin.register(InspectionSite)
class InspectionSiteAdmin(SimpleHistoryAdmin):
    list_display = [
        "name_en",
        "port",
        "opens_at",
        "closes_at",
        "weekdays",
        "slot_minutes",
        "capacity_per_slot",
        "cutoff_hours",
        "active",
    ]
    list_filter = ["port", "active"]
    inlines = [ClosureInline]


@admin.register(InspectionSlot)
class InspectionSlotAdmin(admin.ModelAdmin):
    list_display = ["site", "starts_at", "ends_at", "capacity", "booked"]
    list_filter = ["site"]
    date_hierarchy = "starts_at"
    # The counter is kept by the booking services under a lock; never edited by hand.
    readonly_fields = ["booked"]


class FindingInline(admin.TabularInline):
    model = InspectionFinding
    extra = 0
    raw_id_fields = ["item"]


class PhotoInline(admin.TabularInline):
    model = InspectionPhoto
    extra = 0
    readonly_fields = ["file", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]


@admin.register(Inspection)
class InspectionAdmin(SimpleHistoryAdmin):
    list_display = ["declaration", "result", "port", "ordered_at", "recorded_at"]
    list_filter = ["result", "port"]
    raw_id_fields = ["declaration", "ordered_by", "recorded_by"]
    inlines = [FindingInline, PhotoInline]


@admin.register(Booking)
class BookingAdmin(SimpleHistoryAdmin):
    list_display = ["inspection", "slot", "status", "booked_by", "booked_at"]
    list_filter = ["status", "slot__site"]
    raw_id_fields = ["inspection", "slot", "booked_by"]


@admin.register(PortInspectionSettings)
class PortInspectionSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["port", "release_on_pass"]
