from django.contrib import admin

from provenance.models import ProvenanceEvent, ProvenanceRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    """Provenance is written by the system only; the admin shows it."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProvenanceRecord)
class ProvenanceRecordAdmin(ReadOnlyAdmin):
    list_display = ["asset_id", "source", "source_record_id", "license", "decision",
                    "institution", "retrieved_at", "cloned_at"]  # fmt: skip
    list_filter = ["source", "license", "decision"]
    search_fields = ["=asset_id", "=source_record_id", "=sha256"]
    show_full_result_count = False


@admin.register(ProvenanceEvent)
class ProvenanceEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "asset_id", "reason", "actor"]
    list_filter = ["kind", "reason"]
    search_fields = ["=asset_id", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False
