"""Admin helpers every app's admin uses: acting on the rows people ticked, read-only
admins for what the system writes, an action form with a note, thumbnails."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html


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


class NoteActionForm(ActionForm):
    note = forms.CharField(
        required=False,
        max_length=500,
        label="Note",
        help_text="Why: recorded in the audit log with the decision; for ownership "
        "decisions the rights holder reads it too (required to reject a declaration).",
    )


def thumbnail_img(asset_id: int, thumbnail_key: str, width: int) -> str:
    """An <img> of the asset's thumbnail, or "-" when none is stored. Every thumbnail is
    served by the site's one thumbnail view (URL name `web:thumbnail`), which checks who may
    see it."""
    if not thumbnail_key:
        return "-"
    url = reverse("web:thumbnail", args=[asset_id])
    return format_html('<img src="{}" width="{}" alt="" loading="lazy">', url, width)
