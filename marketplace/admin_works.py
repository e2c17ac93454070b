"""Admin for works and ownership declarations. Moderators release review holds and accept
or reject declarations (with a note the rights holder reads); the rows themselves are
written by the services only. Evidence files are served here, to staff, as downloads:
they are never public."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import ngettext

from common.admin import NoteActionForm, action_selection, thumbnail_img
from common.errors import DomainError
from marketplace.claims import file_metadata_html
from marketplace.declarations import declaration_decide
from marketplace.models import OwnershipDeclaration, Work
from marketplace.uploads import work_hold_release


def _run(modeladmin, request, queryset, decide, label, done: tuple[str, str]) -> None:
    """Apply one decision per ticked row (also one the list's filter no longer shows) and
    report what was done and, naming each row, why the others were left as they were."""
    count = 0
    for row in action_selection(modeladmin, request, queryset).order_by("pk"):
        try:
            decide(row.pk)
        except DomainError as exc:
            modeladmin.message_user(
                request, f"{label(row)}: {exc.message.rstrip('.')}; nothing was done.",
                messages.WARNING,
            )  # fmt: skip
        else:
            count += 1
    if count:
        text = ngettext(done[0], done[1], count) % {"n": count}
        modeladmin.message_user(request, text, messages.SUCCESS)


def _work_label(work: Work) -> str:
    return f"Work {work.pk} ({work.asset.title or 'untitled'})"


def _declaration_label(declaration: OwnershipDeclaration) -> str:
    title = declaration.work.asset.title or "untitled"
    return f"Declaration {declaration.pk} (work {declaration.work_id}, {title})"


class ReviewAdmin(admin.ModelAdmin):
    """Rights holders create these; moderators review them but never add or delete one."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Work)
class WorkAdmin(ReviewAdmin):
    list_display = ["id", "thumbnail", "title", "owner", "status", "hold", "created_at"]
    list_filter = ["hold", "asset__status"]
    list_select_related = ["asset", "owner"]
    search_fields = ["asset__title", "owner__username", "=asset__sha256"]
    show_full_result_count = False
    list_per_page = 50
    action_form = NoteActionForm
    actions = ["release_hold"]
    fields = [
        "preview",
        "title",
        "asset_link",
        "owner",
        "status",
        "hold",
        "matches",
        "declarations",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="thumbnail")
    def thumbnail(self, work: Work):
        return thumbnail_img(work.asset_id, work.asset.thumbnail_key, 96)

    @admin.display(description="preview")
    def preview(self, work: Work):
        return thumbnail_img(work.asset_id, work.asset.thumbnail_key, 384)

    @admin.display(description="title", ordering="asset__title")
    def title(self, work: Work) -> str:
        return work.asset.title

    @admin.display(description="status", ordering="asset__status")
    def status(self, work: Work) -> str:
        return work.asset.get_status_display()

    @admin.display(description="catalog asset")
    def asset_link(self, work: Work):
        url = reverse("admin:catalog_asset_change", args=[work.asset_id])
        return format_html('<a href="{}">asset {}</a>', url, work.asset_id)

    @admin.display(description="what matched")
    def matches(self, work: Work):
        found = self._matches(work)
        metadata = file_metadata_html(work)
        if not metadata:
            return found
        return metadata if found == "-" else format_html("{}{}", found, metadata)

    def _matches(self, work: Work):
        listed = work.hold_detail.get("opted_out_sha256", [])
        if listed:
            registry = reverse("admin:catalog_optout_changelist")
            items = format_html_join(
                "",
                '<li>on the <a href="{}?q={}">opt-out registry</a>: SHA-256 {}</li>',
                ((registry, sha, sha) for sha in listed),
            )
            return format_html("<ul>{}</ul>", items)
        found = work.hold_detail.get("matches", [])
        if not found:
            return "-"
        rows = (
            (
                reverse("admin:catalog_asset_change", args=[m["asset_id"]]),
                m["asset_id"],
                m.get("kind", ""),
                m["distance"],
                "same file" if m.get("same_file") else "",
            )
            for m in found
        )
        items = format_html_join(
            "", '<li><a href="{}">asset {}</a> ({}, distance {}) {}</li>', rows
        )
        return format_html("<ul>{}</ul>", items)

    @admin.display(description="ownership declarations")
    def declarations(self, work: Work):
        rows = [
            (
                reverse("admin:marketplace_ownershipdeclaration_change", args=[d.pk]),
                d.pk,
                d.get_state_display(),
            )
            for d in work.declarations.order_by("-created_at")
        ]
        if not rows:
            return "none yet"
        return format_html_join(", ", '<a href="{}">{}</a> ({})', rows)

    @admin.action(
        description="Release the hold (the match is not a problem)", permissions=["change"]
    )
    def release_hold(self, request, queryset):
        note = request.POST.get("note", "")
        _run(
            self,
            request,
            queryset,
            lambda pk: work_hold_release(work_id=pk, moderator=request.user, note=note),
            _work_label,
            ("%(n)d hold released.", "%(n)d holds released."),
        )


@admin.register(OwnershipDeclaration)
class OwnershipDeclarationAdmin(ReviewAdmin):
    list_display = [
        "id",
        "work_link",
        "owner",
        "state",
        "statement_excerpt",
        "evidence",
        "created_at",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["state"]
    list_select_related = ["work__owner", "work__asset", "decided_by"]
    search_fields = ["work__owner__username", "statement"]
    action_form = NoteActionForm
    actions = ["accept", "reject"]
    fields = [
        "work_link",
        "owner",
        "preview",
        "state",
        "statement",
        "evidence",
        "decision_note",
        "decided_by",
        "decided_at",
        "created_at",
    ]
    readonly_fields = fields

    def get_urls(self):
        view = self.admin_site.admin_view(self.evidence_view)
        return [
            path(
                "<int:object_id>/evidence/<int:index>/",
                view,
                name="marketplace_ownershipdeclaration_evidence",
            ),
            *super().get_urls(),
        ]

    def evidence_view(self, request, object_id: int, index: int):
        """One evidence file, to staff allowed to see declarations, as a download that no
        browser renders (whatever its type)."""
        declaration = self.get_object(request, str(object_id))
        if declaration is None or index >= len(declaration.evidence_keys):
            raise Http404("No such evidence file.")
        if not self.has_view_permission(request, declaration):
            raise PermissionDenied
        key = declaration.evidence_keys[index]
        response = FileResponse(
            storages["default"].open(key, "rb"),
            as_attachment=True,
            filename=key.rsplit("/", 1)[-1],
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        return response

    @admin.display(description="work")
    def work_link(self, declaration: OwnershipDeclaration):
        url = reverse("admin:marketplace_work_change", args=[declaration.work_id])
        return format_html('<a href="{}">{}</a>', url, declaration.work.asset.title or "work")

    @admin.display(description="owner", ordering="work__owner__username")
    def owner(self, declaration: OwnershipDeclaration) -> str:
        return declaration.work.owner.username

    @admin.display(description="work")
    def preview(self, declaration: OwnershipDeclaration):
        return thumbnail_img(declaration.work.asset_id, declaration.work.asset.thumbnail_key, 384)

    @admin.display(description="statement")
    def statement_excerpt(self, declaration: OwnershipDeclaration) -> str:
        return Truncator(declaration.statement).chars(120)

    @admin.display(description="evidence")
    def evidence(self, declaration: OwnershipDeclaration):
        if not declaration.evidence_keys:
            return "none"
        rows = (
            (
                reverse(
                    "admin:marketplace_ownershipdeclaration_evidence", args=[declaration.pk, i]
                ),
                key.rsplit("/", 1)[-1],
            )
            for i, key in enumerate(declaration.evidence_keys)
        )
        return format_html_join(", ", '<a href="{}">{}</a>', rows)

    def _decide(self, request, queryset, *, accept: bool, done: tuple[str, str]) -> None:
        note = request.POST.get("note", "")
        _run(
            self,
            request,
            queryset,
            lambda pk: declaration_decide(
                declaration_id=pk, accept=accept, moderator=request.user, note=note
            ),
            _declaration_label,
            done,
        )

    @admin.action(description="Accept the declaration", permissions=["change"])
    def accept(self, request, queryset):
        self._decide(
            request, queryset, accept=True,
            done=("%(n)d declaration accepted.", "%(n)d declarations accepted."),
        )  # fmt: skip

    @admin.action(
        description="Reject the declaration (write the reason as the note)", permissions=["change"]
    )
    def reject(self, request, queryset):
        self._decide(
            request, queryset, accept=False,
            done=("%(n)d declaration rejected.", "%(n)d declarations rejected."),
        )  # fmt: skip
