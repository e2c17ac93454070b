"""Ownership declarations: a rights holder states how they own a work, with optional
evidence files; a moderator accepts or rejects it (trusted rights holders' declarations
are accepted at once). A work is published only once a declaration is accepted.

Evidence is kept under the private `evidence/` prefix and is never served publicly: only
staff see it, through the admin."""

import uuid
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import ngettext

from common.errors import DomainError
from marketplace.models import OwnershipDeclaration, RightsHolderProfile, Work
from marketplace.notifications import declaration_rejected_notify
from marketplace.offers import work_of, work_refresh_status
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

State = OwnershipDeclaration.State
AUTO_ACCEPT_NOTE = "Accepted automatically: the rights holder is trusted."


class DeclarationConflict(DomainError):
    status_code = 409


class EvidenceTooLarge(DomainError):
    code = "file_too_large"
    status_code = 413


@dataclass
class EvidenceFile:
    filename: str
    stream: IO[bytes]


def declaration_make(
    *, owner, work_id: int, statement: str, evidence: list[EvidenceFile]
) -> OwnershipDeclaration:
    """Declare ownership of the work. Refused while another declaration waits for review
    or once one was accepted."""
    statement = statement.strip()
    if not statement:
        raise DomainError(
            "Say how you own the work.",
            code="invalid",
            fields={"statement": ["This field may not be blank."]},
        )
    files = _read_evidence(evidence)
    storage, keys = storages["default"], []
    try:
        with transaction.atomic():
            work = work_of(owner=owner, work_id=work_id, lock=True)
            states = set(work.declarations.values_list("state", flat=True))
            if State.PENDING in states:
                raise DeclarationConflict(
                    "A declaration for this work is waiting for review; you can make "
                    "another once it is decided.",
                    code="declaration_pending",
                )
            if State.ACCEPTED in states:
                raise DeclarationConflict(
                    "Your ownership of this work is already accepted.",
                    code="declaration_accepted",
                )
            for name, data in files:
                key = f"evidence/{work.pk}/{uuid.uuid4().hex}/{name}"
                keys.append(storage.save(key, ContentFile(data)))
            trusted = (
                settings.OWNERSHIP_AUTO_ACCEPT_TRUSTED
                and RightsHolderProfile.objects.filter(user=owner, trusted=True).exists()
            )
            declaration = OwnershipDeclaration.objects.create(
                work=work,
                statement=statement,
                evidence_keys=keys,
                state=State.ACCEPTED if trusted else State.PENDING,
                decided_at=timezone.now() if trusted else None,
                decision_note=AUTO_ACCEPT_NOTE if trusted else "",
            )
            events = [_event(work, EventKind.OWNERSHIP_DECLARED, owner.username, declaration)]
            if trusted:
                events.append(_event(work, EventKind.OWNERSHIP_ACCEPTED, "auto", declaration))
            events_append(events)
            if trusted:
                work_refresh_status(work)
    except BaseException:
        for key in keys:  # the declaration was not made: its files go too
            storage.delete(key)
        raise
    return declaration


def _read_evidence(evidence: list[EvidenceFile]) -> list[tuple[str, bytes]]:
    limit = settings.EVIDENCE_MAX_BYTES
    if len(evidence) > settings.EVIDENCE_MAX_FILES:
        most = settings.EVIDENCE_MAX_FILES
        raise DomainError(
            ngettext("At most %(n)d evidence file", "At most %(n)d evidence files", most)
            % {"n": most}
            + f"; {len(evidence)} were sent.",
            code="too_many_files",
            fields={
                "evidence": [
                    ngettext("At most %(n)d file.", "At most %(n)d files.", most) % {"n": most}
                ]
            },
        )
    files, too_large, empty = [], {}, {}
    for index, item in enumerate(evidence):
        data = item.stream.read(limit + 1)
        if len(data) > limit:
            too_large[f"evidence.{index}"] = [f"{item.filename}: larger than {limit} bytes."]
        elif not data:
            empty[f"evidence.{index}"] = [f"{item.filename}: the file is empty."]
        name = get_valid_filename(item.filename.rsplit("/", 1)[-1])[-100:] or "evidence"
        files.append((name, data))
    if too_large:
        raise EvidenceTooLarge(
            " ".join(m for ms in too_large.values() for m in ms), fields=too_large
        )
    if empty:
        raise DomainError(
            " ".join(m for ms in empty.values() for m in ms), code="empty_file", fields=empty
        )
    return files


@transaction.atomic
def declaration_decide(
    *, declaration_id: int, accept: bool, moderator, note: str = ""
) -> OwnershipDeclaration:
    """A moderator accepts or rejects a pending declaration (a rejection says why), and the
    work is published or not accordingly."""
    work_id = (
        OwnershipDeclaration.objects.filter(pk=declaration_id)
        .values_list("work_id", flat=True)
        .first()
    )
    if work_id is None:
        raise DomainError("No such declaration.", code="not_found", fields={})
    # The work first, like offers do: an offer set meanwhile is seen by the refresh below.
    work = Work.objects.select_for_update(of=("self",)).select_related("asset").get(pk=work_id)
    declaration = OwnershipDeclaration.objects.select_for_update().get(pk=declaration_id)
    if declaration.state != State.PENDING:
        raise DeclarationConflict(
            f"Declaration {declaration.pk} was already {declaration.state}.",
            code="already_decided",
        )
    note = note.strip()[:500]
    if not accept and not note:
        raise DomainError(
            "Say why the declaration is rejected: the rights holder reads the note.",
            code="note_required",
            fields={"note": ["Required when rejecting."]},
        )
    declaration.state = State.ACCEPTED if accept else State.REJECTED
    declaration.decided_by, declaration.decided_at = moderator, timezone.now()
    declaration.decision_note = note
    declaration.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    kind = EventKind.OWNERSHIP_ACCEPTED if accept else EventKind.OWNERSHIP_REJECTED
    events_append([_event(work, kind, moderator.username, declaration, note=note)])
    work_refresh_status(work)
    if not accept:
        declaration_rejected_notify(work=work, note=note)
    return declaration


def _event(work: Work, kind: str, actor: str, declaration, **data) -> ProvenanceEvent:
    return ProvenanceEvent(
        asset_id=work.asset_id,
        kind=kind,
        actor=actor,
        data={"work_id": work.pk, "declaration_id": declaration.pk, **data},
    )
