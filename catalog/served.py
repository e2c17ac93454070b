"""The copy of an opt-in file we serve: the stored original with its terms written in, so
consent travels with the file.

XMP `plus:DataMining` for the uses it is offered for, its terms, and a link to its offer
page, written losslessly (the compressed picture data stays byte for byte); then, where a
signing key is configured (C2PA_SIGNING_CERT, C2PA_SIGNING_KEY), a C2PA manifest with a
CAWG training-mining assertion naming our license, signed last so its hash covers the XMP.
Stored content-addressed beside the originals (`served/...`), once per set of terms: the
marketplace records which copy each offer serves, and downloads (S3 presigned links too)
point at it."""

import hashlib
import logging
import struct
from collections.abc import Iterable
from dataclasses import dataclass

import c2pa
from django.core.files.storage import storages

from catalog.cloning import _store, storage_key
from catalog.consent.containers import UnsupportedImage
from catalog.consent.signing import SigningNotConfigured, signer_from_settings
from catalog.consent.writers import c2pa_signed, xmp_with_terms
from catalog.images import EXTENSION_BY_MIME

log = logging.getLogger(__name__)


class OriginalUnreadable(ValueError):
    """The stored original is gone or no longer reads as an image we can write terms into:
    no copy can be made until someone replaces it (trying again will not help)."""


@dataclass(frozen=True)
class TermsCopy:
    """A stored copy of a file with terms written in."""

    key: str
    sha256: str
    byte_size: int
    signed: bool  # a C2PA manifest is embedded
    note: str = ""  # why it is not signed, when signing was configured but failed


def terms_copy_store(
    *, original_key: str, mime_type: str, uses: Iterable[str], offer_url: str, license_url: str
) -> TermsCopy:
    """Write the terms into a copy of the original stored under `original_key` and store
    it; storing the same bytes again is a no-op. OriginalUnreadable when the original is
    missing or damaged; other storage errors (OSError) are left to the caller to retry."""
    uses = list(uses)
    try:
        with storages["default"].open(original_key, "rb") as stored:
            data = stored.read()
        written = xmp_with_terms(data, uses, offer_url)
    except (FileNotFoundError, UnsupportedImage, IndexError, struct.error) as exc:
        raise OriginalUnreadable(f"{original_key}: {type(exc).__name__}: {exc}"[:500]) from exc
    signed, note = False, ""
    try:
        signer = signer_from_settings()
    except SigningNotConfigured:
        signer = None
    if signer is not None:
        try:
            with signer:
                written = c2pa_signed(written, mime_type, uses, license_url, signer)
            signed = True
        except c2pa.C2paError as exc:  # served with the XMP terms alone, and said so
            note = f"not signed: {type(exc).__name__}: {exc}"[:500]
            log.warning("C2PA signing failed for %s: %s", original_key, exc)
    sha = hashlib.sha256(written).hexdigest()
    key = _store(storage_key("served", sha, EXTENSION_BY_MIME.get(mime_type, "bin")), written)
    return TermsCopy(key=key, sha256=sha, byte_size=len(written), signed=signed, note=note)
