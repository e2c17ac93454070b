"""Our terms written into the files we serve, so consent travels with the file.

- `xmp_with_terms`: an XMP packet with IPTC PLUS `plus:DataMining` for the uses the work is
  offered for, the terms in `plus:OtherConstraints` and `xmpRights:UsageTerms`, and the
  offer page in `xmpRights:WebStatement`; written losslessly (see `containers`).
- `c2pa_signed`: a C2PA manifest with a CAWG training-mining assertion, signed with
  c2pa-python. Offered uses are `constrained` (allowed under our license, whose URL is the
  constraint), the others `notAllowed`.

Write the XMP first and sign last: the manifest's hash covers the rest of the file."""

import io
import json
from collections.abc import Iterable

import c2pa

from catalog.consent.containers import image_format, with_xmp
from catalog.consent.vocabulary import USES
from catalog.consent.xmp import terms_packet

CLAIM_GENERATOR = {"name": "optin-media-marketplace", "version": "1"}


def _checked(uses: Iterable[str]) -> list[str]:
    uses = list(dict.fromkeys(uses))
    unknown = [use for use in uses if use not in USES]
    if unknown:
        raise ValueError(f"unknown uses: {', '.join(unknown)}; use {', '.join(USES)}")
    return uses


def terms_text(uses: Iterable[str], offer_url: str) -> str:
    uses = _checked(uses)
    allowed = ", ".join(uses) if uses else "none"
    return (
        f"Licensed for AI and data-mining uses only through its offer: {offer_url} "
        f"(uses offered: {allowed}). Any other use is reserved."
    )


def xmp_with_terms(data: bytes, uses: Iterable[str], offer_url: str) -> bytes:
    """The image with our terms in its XMP (any XMP it had is replaced); the compressed
    picture data is kept byte for byte. JPEG, PNG, WebP and TIFF."""
    uses = _checked(uses)
    packet = terms_packet(allowed=uses, offer_url=offer_url, terms=terms_text(uses, offer_url))
    return with_xmp(data, packet)


def training_mining_assertion(uses: Iterable[str], license_url: str) -> dict:
    offered = set(_checked(uses))
    entries = {}
    for use in USES:
        if use in offered:
            entries[f"cawg.{use}"] = {"use": "constrained", "constraint_info": license_url}
        else:
            entries[f"cawg.{use}"] = {"use": "notAllowed"}
    return {"label": "cawg.training-mining", "data": {"entries": entries}}


def c2pa_signed(
    data: bytes, mime_type: str, uses: Iterable[str], license_url: str, signer: "c2pa.Signer"
) -> bytes:
    """The image with a signed C2PA manifest stating its uses and our license. The
    manifest records the file as an edit of itself (its parent ingredient), without
    thumbnails; `signer` comes from `signing.signer_from_settings` (or a test's)."""
    image_format(data)  # refuse what is not an image we serve before c2pa sees it
    manifest = {
        "claim_generator_info": [CLAIM_GENERATOR],
        "assertions": [training_mining_assertion(uses, license_url)],
    }
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    with c2pa.Builder(json.dumps(manifest), context=context) as builder:
        builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
        out = io.BytesIO()
        builder.sign(signer, mime_type, io.BytesIO(data), out)
    return out.getvalue()
