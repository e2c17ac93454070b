"""Signals embedded in an image file: XMP (IPTC PLUS data mining, creator and rights
fields), IPTC-IIM creator and copyright, and C2PA training-mining assertions."""

import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PIL import Image, IptcImagePlugin

from catalog.consent.c2pa_manifests import C2paReport, c2pa_report
from catalog.consent.containers import UnsupportedImage, find_xmp, image_format
from catalog.consent.vocabulary import IN_FILE, Signal
from catalog.consent.xmp import InvalidXmp, XmpFields, parse_xmp

MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff"}
# IPTC-IIM datasets of the application record (2:n) about authorship and rights.
IIM_FIELDS = {80: "by_line", 110: "credit", 115: "source", 116: "copyright_notice"}
RAW_XMP_LIMIT = 64 * 1024  # kept as evidence up to this many characters


@dataclass(frozen=True)
class EmbeddedSignals:
    """What a file says about itself: per-use signals (XMP and C2PA), the creators and
    rights holders it names, and the raw metadata for a moderator to read."""

    signals: tuple[Signal, ...] = ()
    creators: tuple[str, ...] = ()
    rights: tuple[str, ...] = ()
    xmp: XmpFields | None = None
    xmp_raw: str = ""
    xmp_error: str = ""
    iptc: dict[str, list[str]] = field(default_factory=dict)
    c2pa: C2paReport | None = None

    def raw_metadata(self) -> dict[str, Any]:
        """The metadata as found, for the review queue and provenance."""
        raw: dict[str, Any] = {}
        if self.xmp_raw:
            raw["xmp"] = self.xmp_raw
        if self.xmp_error:
            raw["xmp_error"] = self.xmp_error
        if self.iptc:
            raw["iptc"] = self.iptc
        if self.c2pa:
            raw["c2pa"] = {
                **self.c2pa.as_evidence(),
                "training_mining": [
                    {"key": e.key, "use": e.value, "constraint_info": e.constraint_info}
                    for e in self.c2pa.entries
                ],
            }
        return raw


def _decode(value: bytes) -> str:
    for encoding in ("utf-8", "latin-1"):
        try:
            return value.decode(encoding).strip()
        except UnicodeDecodeError:
            continue
    return ""


def iptc_fields(data: bytes) -> dict[str, list[str]]:
    """IPTC-IIM by-line, credit, source and copyright notice of a JPEG or TIFF."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                info = IptcImagePlugin.getiptcinfo(image) or {}
    except Exception:
        return {}
    fields: dict[str, list[str]] = {}
    for (record, dataset), value in info.items():
        name = IIM_FIELDS.get(dataset) if record == 2 else None
        if name:
            values = value if isinstance(value, list) else [value]
            texts = [_decode(v) for v in values if isinstance(v, bytes)]
            fields[name] = [t for t in texts if t]
    return {name: values for name, values in fields.items() if values}


def _xmp_signal(fields: XmpFields, read_at: datetime, url: str) -> Signal | None:
    uses = fields.data_mining_uses()
    if uses is None and not fields.data_mining:
        return None
    detail = {}
    if fields.other_constraints:
        detail["other_constraints"] = fields.other_constraints
    if fields.web_statement:
        detail["web_statement"] = fields.web_statement
    if uses is None:
        detail["note"] = "not a PLUS Data Mining value: says nothing"
    return Signal(
        kind="iptc_plus_data_mining",
        location=IN_FILE,
        uses=uses or {},
        raw=fields.data_mining_raw,
        read_at=read_at,
        url=url,
        detail=detail,
    )


def _c2pa_signals(report: C2paReport, read_at: datetime, url: str) -> list[Signal]:
    detail = report.as_evidence()
    by_label: dict[str, list] = {}
    for entry in report.entries:
        by_label.setdefault(entry.label, []).append(entry)
    if not by_label and not report.valid:  # a broken manifest is evidence even if it is mute
        return [
            Signal(kind="c2pa_manifest", location=IN_FILE, uses={}, raw=report.error or "",
                   read_at=read_at, url=url, valid=False, detail=detail)
        ]  # fmt: skip
    signals = []
    for label, entries in by_label.items():
        uses = {e.use: e.says for e in entries if e.use and e.says}
        constraints = {e.use: e.constraint_info for e in entries if e.constraint_info}
        signals.append(
            Signal(
                kind=label.replace(".", "_").replace("-", "_"),  # cawg_training_mining
                location=IN_FILE,
                uses=uses,
                raw=", ".join(f"{e.key}={e.value}" for e in entries),
                read_at=read_at,
                url=url,
                valid=report.valid,
                detail={**detail, **({"constraint_info": constraints} if constraints else {})},
            )
        )
    return signals


def embedded_signals(
    data: bytes,
    *,
    read_at: datetime,
    url: str = "",
    trust_anchors_path: str = "",
    authorship: bool = True,
) -> EmbeddedSignals:
    """Everything the file says about its uses and, unless `authorship` is False (cloning
    needs only the uses), who made it and holds its rights. Never raises: what cannot be
    read is reported as such (`xmp_error`, an "Unreadable" C2PA report)."""
    try:
        fmt = image_format(data)
    except UnsupportedImage:
        return EmbeddedSignals()
    signals: list[Signal] = []
    packet = find_xmp(data)
    fields, xmp_raw, xmp_error = None, "", ""
    if packet:
        xmp_raw = packet.decode("utf-8", "replace")[:RAW_XMP_LIMIT]
        try:
            fields = parse_xmp(packet)
        except InvalidXmp as exc:
            xmp_error = str(exc)[:500]
    if fields and (signal := _xmp_signal(fields, read_at, url)):
        signals.append(signal)
    try:
        report = c2pa_report(data, MIME_TYPES[fmt], trust_anchors_path=trust_anchors_path)
    except Exception as exc:  # whatever the library trips on in a hostile file: unreadable
        report = C2paReport(state="Unreadable", error=f"{type(exc).__name__}: {exc}")
    if report:
        signals.extend(_c2pa_signals(report, read_at, url))
    iptc = iptc_fields(data) if authorship and fmt in ("JPEG", "TIFF") else {}
    creators = [*(fields.creators if fields else ()), *iptc.get("by_line", [])]
    rights = [*(fields.rights if fields else ()), *iptc.get("copyright_notice", [])]
    return EmbeddedSignals(
        signals=tuple(signals),
        creators=tuple(dict.fromkeys(creators)),
        rights=tuple(dict.fromkeys(rights)),
        xmp=fields,
        xmp_raw=xmp_raw,
        xmp_error=xmp_error,
        iptc=iptc,
        c2pa=report,
    )


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def other_creators(embedded: EmbeddedSignals, names: Iterable[str]) -> tuple[str, ...]:
    """The creators the file names that are none of `names` (the uploader's own names),
    compared without case or extra spaces."""
    own = {_name_key(n) for n in names if n and n.strip()}
    return tuple(c for c in embedded.creators if _name_key(c) not in own)
