from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet

from provenance.models import AuditSeal, ProvenanceEvent, ProvenanceRecord


# Shared by every app's admin actions (this app imports no other, so all may use it).
def action_selection(modeladmin, request, queryset) -> QuerySet:
    """The rows an admin action was asked for: every row ticked, whatever the list's filters
    show now. Django hands an action only the ticked rows that still match the filters, so
    a row someone else decided meanwhile (and that the filter now leaves out) would be
    skipped without a word; here it is decided as it stands, and its action says why when
    it no longer applies. A ticked row that no longer exists is named in a warning."""
    picked = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
    if request.POST.get("select_across") == "1" or not picked:
        return queryset
    rows = modeladmin.get_queryset(request).filter(pk__in=picked)
    found = {str(pk) for pk in rows.values_list("pk", flat=True)}
    name = modeladmin.model._meta.verbose_name.capitalize()
    for pk in sorted(set(picked) - found):
        modeladmin.message_user(
            request, f"{name} {pk}: it no longer exists; nothing was done.", messages.WARNING
        )
    return rows


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records the system writes and people only read (provenance, the ledger)."""

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
