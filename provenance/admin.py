from django.contrib import admin

from common.admin import ReadOnlyAdmin
from provenance.models import AuditSeal, ProvenanceEvent, ProvenanceRecord


@admin.register(ProvenanceRecord)
class ProvenanceRecordAdmin(ReadOnlyAdmin):
    list_display = ["asset_id", "source", "source_record_id", "license", "decision",
                    "institution", "retrieved_at", "cloned_at"]  # fmt: skip
    list_filter = ["source", "license", "decision"]
    search_fields = ["=asset_id", "=source_record_id", "=sha256"]
    show_full_result_count = False


@admin.register(ProvenanceEvent)
class ProvenanceEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "asset_id", "reason", "actor", "seal_seq"]
    list_filter = ["kind", "reason"]
    list_select_related = ["seal"]
    search_fields = ["=asset_id", "actor"]
    readonly_fields = ["seal_seq", "seal_hash"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="audit log seq")
    def seal_seq(self, event: ProvenanceEvent) -> str:
        seal = _seal(event)
        return str(seal.seq) if seal else "not sealed yet"

    @admin.display(description="audit log hash")
    def seal_hash(self, event: ProvenanceEvent) -> str:
        seal = _seal(event)
        return seal.hash if seal else "not sealed yet"


def _seal(event: ProvenanceEvent) -> AuditSeal | None:
    try:
        return event.seal
    except AuditSeal.DoesNotExist:
        return None


@admin.register(AuditSeal)
class AuditSealAdmin(ReadOnlyAdmin):
    list_display = ["seq", "event", "hash", "prev_hash", "sealed_at"]
    list_select_related = ["event"]
    search_fields = ["=seq", "=event__id", "=hash"]
    show_full_result_count = False
