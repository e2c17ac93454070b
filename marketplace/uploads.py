"""Rights holders' uploads: one file or a batch of files through the API, or a large file
posted straight to S3 with a presigned form and then confirmed. Each file becomes a `Work`
over an opt-in catalog asset, held for a moderator when it duplicates the base set or
another person's work.

A batch is all or nothing: every file is verified before anything is stored, and one
refused file refuses the batch, naming each refused file. Nothing is half-uploaded, and a
client fixes the named files and sends the same batch again."""

from dataclasses import dataclass
from datetime import timedelta
from typing import IO

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext
from storages.backends.s3 import S3Storage

from catalog.models import OPT_IN_SOURCE
from catalog.selectors import (
    MIME_BY_FORMAT,
    ImageRejected,
    UploadConcerns,
    UploadMatch,
    VerifiedImage,
    WorkText,
    declared_format,
    opted_out,
    read_limited,
    upload_concerns,
    upload_matches,
    upload_verify,
)
from catalog.services import (
    opt_in_asset_create,
    opt_in_asset_delete,
    opt_in_asset_describe,
    upload_store,
    uploads_lock,
)
from common.errors import DomainError
from marketplace.models import (
    DirectUpload,
    DownloadGrant,
    Offer,
    OfferFile,
    OwnershipDeclaration,
    RightsHolderProfile,
    User,
    Work,
)
from marketplace.models.works import HoldReason
from marketplace.notifications import hold_released_notify
from marketplace.offers import work_of, work_refresh_status
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append


class UploadRefused(DomainError):
    """One or more files were refused; `fields` names each, and nothing was stored."""

    code = "upload_refused"
    status_code = 400


class AlreadyUploaded(DomainError):
    code = "already_uploaded"
    status_code = 409


class Conflict(DomainError):
    status_code = 409


class TooLarge(DomainError):
    code = "file_too_large"
    status_code = 413


class UploadNotFound(DomainError):
    code = "not_found"
    status_code = 404


class UploadExpired(DomainError):
    code = "upload_expired"
    status_code = 410


@dataclass
class IncomingFile:
    """One file of an upload request, with what its owner says about it."""

    field: str  # where it is in the request, e.g. `file` or `files.2`: errors name it
    filename: str
    stream: IO[bytes]
    text: WorkText


# --- reads ------------------------------------------------------------------------------


def works_of_owner(owner) -> QuerySet[Work]:
    """The owner's works, newest first, with what their API representation shows."""
    return (
        Work.objects.filter(owner=owner)
        .select_related("asset")
        .prefetch_related(
            Prefetch(
                "offers",
                queryset=Offer.objects.filter(ended_at__isnull=True).select_related("terms"),
                to_attr="current_offers",
            ),
            Prefetch(
                "declarations",
                queryset=OwnershipDeclaration.objects.order_by("-created_at", "-pk"),
                to_attr="newest_declarations",
            ),
        )
        .order_by("-created_at", "-pk")
    )


def work_detail(*, owner, work_id: int) -> Work:
    work_of(owner=owner, work_id=work_id)  # 404 for anyone else's
    return works_of_owner(owner).get(pk=work_id)


# --- uploading --------------------------------------------------------------------------


def works_upload(
    *, owner: User, files: list[IncomingFile], max_bytes: int | None = None
) -> list[Work]:
    """Verify, clean and store the files and create one work per file, or refuse them all.
    Refused: a file that is not a clean still image (UploadRefused, 400, or 413 when only
    sizes are the problem), the same file the owner uploaded before (AlreadyUploaded)."""
    if not files:
        raise DomainError(
            "Send an image as `file`, or several as `files`.",
            code="invalid",
            fields={"file": ["No file was sent."]},
        )
    if len(files) > settings.UPLOAD_BATCH_MAX_FILES:
        most = settings.UPLOAD_BATCH_MAX_FILES
        at_most = ngettext("At most %(n)d file", "At most %(n)d files", most) % {"n": most}
        raise DomainError(
            f"{at_most} in one upload; this one has {len(files)}.",
            code="too_many_files",
            fields={"files": [f"{at_most}."]},
        )
    verified = _verify_all(files, max_bytes or settings.UPLOAD_MAX_BYTES)
    try:
        _holds(owner, files, verified)  # refuse re-uploads before anything is stored
        keys = [upload_store(image) for image in verified]
        with transaction.atomic():
            uploads_lock()  # decide duplicates one upload (or clone batch) at a time
            holds = _holds(owner, files, verified)
            creator = _creator(owner)
            works = []
            for incoming, image, key_pair, (hold, detail) in zip(
                files, verified, keys, holds, strict=True
            ):
                asset = opt_in_asset_create(
                    verified=image,
                    keys=key_pair,
                    text=incoming.text,
                    creator=creator,
                    uploader_id=owner.pk,
                    actor=owner.username,
                )
                work = Work.objects.create(asset=asset, owner=owner, hold=hold, hold_detail=detail)
                if hold:
                    events_append(
                        [
                            ProvenanceEvent(
                                asset_id=asset.pk,
                                kind=EventKind.UPLOAD_HELD,
                                reason=hold,
                                actor=owner.username,
                                data=_event_detail(detail),
                            )
                        ]
                    )
                works.append(work)
    finally:
        for image in verified:
            image.close()
    return works


def _verify_all(files: list[IncomingFile], max_bytes: int) -> list[VerifiedImage]:
    verified, errors, reasons = [], {}, set()
    try:
        for incoming in files:
            try:
                data = read_limited(incoming.stream, max_bytes)
                image = upload_verify(
                    data, filename=incoming.filename, max_pixels=settings.UPLOAD_MAX_PIXELS
                )
            except ImageRejected as exc:
                errors[incoming.field] = [f"{incoming.filename}: {exc}."]
                reasons.add(exc.reason)
            else:
                verified.append(image)
            data = b""
        if errors:
            raise _refused(errors, reasons)
    except BaseException:
        for image in verified:
            image.close()
        raise
    return verified


def _refused(errors: dict[str, list[str]], reasons: set[str]) -> UploadRefused:
    message = " ".join(m for messages in errors.values() for m in messages)
    refused = UploadRefused(
        f"{message} Nothing was stored.",
        code=reasons.pop() if len(reasons) == 1 else None,
        fields=errors,
    )
    if refused.code == "file_too_large":
        refused.status_code = 413
    return refused


def _holds(owner, files, verified) -> list[tuple[str, dict]]:
    """The review hold of each file; AlreadyUploaded for files the owner uploaded before
    (or twice in this batch)."""
    errors, holds, seen = {}, [], {}
    on_registry = _on_opt_out_registry(verified)
    names = _own_names(owner)
    for incoming, image in zip(files, verified, strict=True):
        sha = image.image.sha256
        matches = upload_matches(
            sha256s={sha, image.received_sha256}, perceptual_hash=image.image.perceptual_hash
        )
        owners = {
            asset_id: (work_id, owner_id)
            for asset_id, work_id, owner_id in Work.objects.filter(
                asset_id__in=[m.asset_id for m in matches if m.source == OPT_IN_SOURCE]
            ).values_list("asset_id", "pk", "owner_id")
        }
        own = [
            owners[m.asset_id][0]
            for m in matches
            if m.same_file and owners.get(m.asset_id, (0, 0))[1] == owner.pk
        ]
        if own:
            errors[incoming.field] = [
                f"{incoming.filename}: you uploaded this file already, as work {own[0]}."
            ]
        elif sha in seen:
            errors[incoming.field] = [
                f"{incoming.filename}: the same file as {seen[sha]} in this upload."
            ]
        seen.setdefault(sha, incoming.filename)
        listed = sorted({sha, image.received_sha256} & on_registry)
        if listed:
            hold, detail = HoldReason.OPTED_OUT, {"opted_out_sha256": listed}
        else:
            hold, detail = _hold(owner, matches, owners)
        concerns = upload_concerns(image.embedded, names) if image.embedded else None
        holds.append(_with_file_metadata(hold, detail, concerns))
    if errors:
        message = " ".join(m for messages in errors.values() for m in messages)
        raise AlreadyUploaded(f"{message} Nothing was stored.", fields=errors)
    return holds


def _on_opt_out_registry(verified: list[VerifiedImage]) -> set[str]:
    """The SHA-256s, of the files as uploaded or as cleaned, that the opt-out registry
    lists. Only the file is matched here: a creator name on the registry may be the
    rights holder's own, opted out before they came to offer their work themselves."""
    hashes = sorted({h for v in verified for h in (v.image.sha256, v.received_sha256)})
    listed = opted_out(("", "", sha) for sha in hashes)
    return {hashes[i] for i in listed}


def _hold(owner, matches: list[UploadMatch], owners: dict) -> tuple[str, dict]:
    base = [m for m in matches if m.source != OPT_IN_SOURCE]
    others = [
        m
        for m in matches
        if m.source == OPT_IN_SOURCE and owners.get(m.asset_id, (0, 0))[1] != owner.pk
    ]
    if not base and not others:
        return HoldReason.NONE, {}
    flagged = sorted(base + others, key=lambda m: (m.distance, m.asset_id))
    detail = {
        "asset_ids": [m.asset_id for m in flagged],
        "distance": flagged[0].distance,
        "matches": [
            {
                "asset_id": m.asset_id,
                "distance": m.distance,
                "same_file": m.same_file,
                "kind": "base_set" if m.source != OPT_IN_SOURCE else "other_owner",
            }
            for m in flagged
        ],
    }
    return (HoldReason.MATCHES_BASE_SET if base else HoldReason.MATCHES_OTHER_OWNER), detail


def _with_file_metadata(
    hold: str, detail: dict, concerns: UploadConcerns | None
) -> tuple[str, dict]:
    """The hold once the file's own metadata is weighed: a reservation of AI training, or
    another creator or rights holder named, holds a file nothing else holds; in every
    hold the metadata is kept for the moderator (`file_metadata`, with the raw packets)."""
    if concerns is None or not concerns.reasons:
        return hold, detail
    if not hold:  # the reasons are named as the hold reasons are
        hold = HoldReason(concerns.reasons[0])
    metadata = {**concerns.evidence(), "raw": concerns.raw_metadata()}
    return hold, {**detail, "file_metadata": metadata}


def _event_detail(detail: dict) -> dict:
    """The hold's detail for the audit log: the raw metadata packets stay with the work."""
    metadata = detail.get("file_metadata")
    if not metadata:
        return detail
    return {**detail, "file_metadata": {k: v for k, v in metadata.items() if k != "raw"}}


def _own_names(owner) -> list[str]:
    """The names an uploader is known by: their rights holder's display name, their full
    name, their username."""
    display = RightsHolderProfile.objects.filter(user=owner).values_list("display_name", flat=True)
    return [n for n in (display.first(), owner.get_full_name(), owner.get_username()) if n]


def _creator(owner) -> str:
    name = RightsHolderProfile.objects.filter(user=owner).values_list("display_name", flat=True)
    return (name.first() or "").strip() or owner.get_full_name() or owner.username


# --- changing a work --------------------------------------------------------------------


@transaction.atomic
def work_update(*, owner, work_id: int, **changes) -> Work:
    """Change the work's title, description, creation date or tags (already cleaned)."""
    work = work_of(owner=owner, work_id=work_id, lock=True)
    opt_in_asset_describe(asset_id=work.asset_id, actor=owner.username, **changes)
    return work


class WorkLicensed(DomainError):
    code = "work_licensed"
    status_code = 409


@transaction.atomic
def work_delete(*, owner, work_id: int) -> str:
    """Delete a work nobody has licensed: its offers, declarations (and evidence files),
    its catalog asset and stored files. A licensed work can only be withdrawn: buyers'
    licenses stay valid. Returns the title it had."""
    work = work_of(owner=owner, work_id=work_id, lock=True)
    if DownloadGrant.objects.filter(asset_id=work.asset_id).exists():
        raise WorkLicensed(
            "Buyers have licensed this work, so it cannot be deleted: their licenses stay "
            "valid. Withdraw it instead; nobody can license it after that."
        )
    files = [k for keys in work.declarations.values_list("evidence_keys", flat=True)
                for k in keys]  # fmt: skip
    title, asset_id = work.asset.title, work.asset_id
    DirectUpload.objects.filter(work=work).delete()
    # The copies made for its offers (with their terms) go with it; nobody downloaded one.
    files += list(OfferFile.objects.filter(offer__work=work).values_list("key", flat=True))
    work.offers.all().delete()  # and their files' rows
    work.delete()  # and its declarations
    opt_in_asset_delete(asset_id=asset_id, actor=owner.get_username())
    storage = storages["default"]
    transaction.on_commit(lambda: [storage.delete(key) for key in files])
    return title


@transaction.atomic
def work_hold_release(*, work_id: int, moderator, note: str = "") -> Work:
    """A moderator found the match harmless: the work may be published once offered and
    declared. The match stays recorded in `hold_detail`."""
    work = Work.objects.select_for_update(of=("self",)).select_related("asset").get(pk=work_id)
    if not work.hold:
        raise Conflict(f"Work {work.pk} is not held.", code="not_held")
    released = work.hold
    work.hold = HoldReason.NONE
    work.save(update_fields=["hold"])
    events_append(
        [
            ProvenanceEvent(
                asset_id=work.asset_id,
                kind=EventKind.UPLOAD_HOLD_RELEASED,
                reason=released,
                actor=moderator.username,
                data={"work_id": work.pk, "note": note[:500]},
            )
        ]
    )
    work_refresh_status(work)
    hold_released_notify(work=work)
    return work


# --- direct uploads to S3 ---------------------------------------------------------------


class DirectUploadUnavailable(DomainError):
    code = "direct_upload_unavailable"
    status_code = 409


def _s3_storage() -> S3Storage:
    storage = storages["default"]
    if not isinstance(storage, S3Storage):
        raise DirectUploadUnavailable(
            "Direct upload needs S3 storage, and this server keeps files on its own disk; "
            "send the file to POST /api/v1/works/ as multipart/form-data instead."
        )
    return storage


def direct_upload_available() -> bool:
    """Whether large files can go straight to S3 here (not on local storage)."""
    return isinstance(storages["default"], S3Storage)


def _s3_key(storage: S3Storage, key: str) -> str:
    return f"{storage.location.strip('/')}/{key}" if storage.location else key


def direct_upload_start(
    *, owner, filename: str, size: int, content_type: str
) -> tuple[DirectUpload, dict]:
    """A presigned S3 POST form for one file of exactly `size` bytes under
    `incoming/<id>`, valid for DIRECT_UPLOAD_EXPIRY_SECONDS. Returns the upload and the
    form (`url`, `fields`)."""
    storage = _s3_storage()
    try:
        expected = MIME_BY_FORMAT[declared_format(filename)]
    except ImageRejected as exc:
        raise DomainError(
            f"{filename}: {exc}.", code=exc.reason, fields={"filename": [str(exc)]}
        ) from exc
    if content_type != expected:
        raise DomainError(
            f"{filename} is named as {expected}, not {content_type}.",
            code="extension_mismatch",
            fields={"content_type": [f"Use {expected} for this file name."]},
        )
    if size > settings.DIRECT_UPLOAD_MAX_BYTES:
        raise TooLarge(
            f"{filename}: at most {settings.DIRECT_UPLOAD_MAX_BYTES} bytes can be uploaded.",
            fields={"size": [f"At most {settings.DIRECT_UPLOAD_MAX_BYTES} bytes."]},
        )
    expiry = settings.DIRECT_UPLOAD_EXPIRY_SECONDS
    upload = DirectUpload(
        owner=owner,
        filename=filename,
        content_type=content_type,
        size=size,
        expires_at=timezone.now() + timedelta(seconds=expiry),
    )
    upload.key = f"incoming/{upload.pk}"
    form = storage.connection.meta.client.generate_presigned_post(
        Bucket=storage.bucket_name,
        Key=_s3_key(storage, upload.key),
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
        ExpiresIn=expiry,
    )
    upload.save()
    return upload, form


def direct_upload_confirm(*, owner, upload_id, text: WorkText) -> Work:
    """Verify the posted file exactly like a multipart upload and make it a work; the
    incoming object is deleted either way. Only the uploader can confirm, once, in time."""
    storage = _s3_storage()
    with transaction.atomic():
        upload = DirectUpload.objects.select_for_update().filter(pk=upload_id, owner=owner).first()
        if upload is None:
            raise UploadNotFound("No upload of yours has this id.")
        if upload.confirmed_at:
            raise Conflict(
                f"This upload was confirmed already: it is work {upload.work_id}.",
                code="already_confirmed",
            )
        if upload.expires_at <= timezone.now():
            raise UploadExpired(
                f"This upload expired at {upload.expires_at:%Y-%m-%d %H:%M:%S} UTC; "
                "start a new one."
            )
        body = _incoming(storage, upload)
        incoming = IncomingFile("file", upload.filename, body, text)
        try:
            work = works_upload(
                owner=owner, files=[incoming], max_bytes=settings.DIRECT_UPLOAD_MAX_BYTES
            )[0]
        except DomainError:
            storage.delete(upload.key)  # refused: nothing of it stays
            raise
        finally:
            body.close()
        upload.confirmed_at, upload.work = timezone.now(), work
        upload.save(update_fields=["confirmed_at", "work"])
        transaction.on_commit(lambda: storage.delete(upload.key))
    return work


# A rights holder told "expired" can still be told so, rather than "not found", for a day.
ABANDONED_AFTER = timedelta(days=1)


def direct_uploads_clear(*, now=None) -> int:
    """Delete the files posted for direct uploads that were never confirmed, and the uploads,
    a day after their forms expired: nobody can confirm them any more. Returns how many."""
    stale = DirectUpload.objects.filter(
        confirmed_at__isnull=True, expires_at__lt=(now or timezone.now()) - ABANDONED_AFTER
    )
    storage = storages["default"]
    cleared = 0
    for upload in stale.only("pk", "key").iterator():
        if isinstance(storage, S3Storage):  # nothing was posted when storage is local
            storage.delete(upload.key)  # S3 answers a missing key (never posted) with success
        upload.delete()
        cleared += 1
    return cleared


def _incoming(storage: S3Storage, upload: DirectUpload):
    client, key = storage.connection.meta.client, _s3_key(storage, upload.key)
    try:
        size = client.head_object(Bucket=storage.bucket_name, Key=key)["ContentLength"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise Conflict(
                "The file is not in storage: post it to the presigned form first. (A file "
                "that was refused is deleted; start a new upload for it.)",
                code="upload_missing",
            ) from exc
        raise
    if size != upload.size:
        storage.delete(upload.key)
        raise UploadRefused(
            f"{upload.filename}: "
            + ngettext("%(n)d byte arrived", "%(n)d bytes arrived", size) % {"n": size}
            + ", "
            + ngettext("%(n)d was announced", "%(n)d were announced", upload.size)
            % {"n": upload.size}
            + ". Nothing was stored.",
            code="size_mismatch",
            fields={
                "file": [
                    ngettext("Expected %(n)d byte.", "Expected %(n)d bytes.", upload.size)
                    % {"n": upload.size}
                ]
            },
        )
    return client.get_object(Bucket=storage.bucket_name, Key=key)["Body"]
