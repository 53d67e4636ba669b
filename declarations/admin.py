from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Declaration, DeclarationContainer, DeclarationItem, ReferenceSequence, SupportingDocument


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
    readonly_fields = ["reference", "public_id", "status", "lane", "version", "submitted_at", "decided_at",
                       "created_by", "created_at"]
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
