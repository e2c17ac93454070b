"""The marketplace's ownership claims, as the review queue decides them (moderation.claims):
works whose owner's declaration waits for a moderator, and uploads held because their file
matches someone else's. Registered with moderation at start-up (marketplace.apps)."""

import json

from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from common.errors import DomainError
from marketplace.declarations import declaration_decide
from marketplace.models import OwnershipDeclaration, Work
from marketplace.uploads import work_hold_release


class WorkClaims:
    def waiting(self) -> QuerySet:
        pending = OwnershipDeclaration.objects.filter(
            work=OuterRef("pk"), state=OwnershipDeclaration.State.PENDING
        )
        return Work.objects.filter(Q(Exists(pending)) | ~Q(hold="")).annotate(
            since=Coalesce(Min("declarations__created_at"), F("created_at"))
        )

    def lock(self, asset_id: int) -> None:
        Work.objects.select_for_update(of=("self",)).filter(asset_id=asset_id).first()

    def verify(self, *, asset_id: int, moderator, note: str) -> None:
        work = Work.objects.filter(asset_id=asset_id).first()
        pending = _pending(work)
        if not pending and not (work and work.hold):
            raise DomainError("no ownership claim waiting")
        for pk in pending:
            declaration_decide(declaration_id=pk, accept=True, moderator=moderator, note=note)
        if work.hold:
            work_hold_release(work_id=work.pk, moderator=moderator, note=note)

    def reject(self, *, asset_id: int, moderator, note: str) -> None:
        pending = _pending(Work.objects.filter(asset_id=asset_id).first())
        if not pending:
            raise DomainError("no ownership declaration waiting")
        if not note:
            raise DomainError("a note is required: the rights holder reads why")
        for pk in pending:
            declaration_decide(declaration_id=pk, accept=False, moderator=moderator, note=note)

    def describe(self, asset_id: int) -> str | None:
        work = Work.objects.filter(asset_id=asset_id).select_related("owner").first()
        if work is None:
            return None
        declarations = [
            (reverse("admin:marketplace_ownershipdeclaration_change", args=[d.pk]),
             d.get_state_display(), d.statement[:300], _evidence_files(len(d.evidence_keys)))
            for d in work.declarations.order_by("-created_at")
        ]  # fmt: skip
        return format_html(
            "<a href='{}'>work {}</a> by {} · upload hold: {}<ul>{}</ul>{}",
            reverse("admin:marketplace_work_change", args=[work.pk]), work.pk,
            work.owner.get_username(), work.get_hold_display() or "none",
            format_html_join(
                "", "<li><a href='{}'>{}</a>: “{}” ({})</li>", declarations
            ) if declarations else "no declaration yet",
            file_metadata_html(work),
        )  # fmt: skip


def file_metadata_html(work: Work) -> str:
    """What the upload's own metadata said, for a moderator: why it holds the work, the
    names and consent signals found (a C2PA manifest that failed validation marked so: it
    counts neither way), and the raw XMP, IPTC and C2PA as they were in the file."""
    metadata = (work.hold_detail or {}).get("file_metadata")
    if not metadata:
        return ""
    reasons = {"reserves_training": "reserves AI training",
               "names_another": "names another creator or rights holder"}  # fmt: skip
    names = [
        ("creators", metadata.get("creators", [])),
        ("rights", metadata.get("rights", [])),
        ("not the uploader's", [*metadata.get("other_creators", []),
                                *metadata.get("other_rights", [])]),
    ]  # fmt: skip
    signals = [
        (s.get("kind", ""), s.get("raw", ""),
         ", ".join(f"{use}: {state}" for use, state in (s.get("uses") or {}).items()) or "-",
         "" if s.get("valid", True) else " INVALID (failed validation: not trusted either way)")
        for s in metadata.get("signals", [])
    ]  # fmt: skip
    raw = json.dumps(metadata.get("raw", {}), indent=2, ensure_ascii=False)
    return format_html(
        "<div class='file-metadata'><p>The file's metadata: {}</p><ul>{}{}</ul>"
        "<details><summary>Raw metadata as uploaded</summary><pre>{}</pre></details></div>",
        "; ".join(reasons.get(r, r) for r in metadata.get("reasons", [])) or "nothing held it",
        format_html_join("", "<li>{}: {}</li>",
                         ((label, "; ".join(values)) for label, values in names if values)),
        format_html_join("", "<li>{} “{}” ({}){}</li>", signals),
        raw,
    )  # fmt: skip


def _pending(work: Work | None) -> list[int]:
    if work is None:
        return []
    pending = work.declarations.filter(state=OwnershipDeclaration.State.PENDING)
    return list(pending.order_by("pk").values_list("pk", flat=True))


def _evidence_files(count: int) -> str:
    return ngettext("%(n)d evidence file", "%(n)d evidence files", count) % {"n": count}
