"""Uploaded image files: verify the bytes and clean them of metadata.

Verification refuses anything that is not exactly one still JPEG, PNG, WebP or TIFF image
whose name tells its real type: empty, oversized, truncated, decompression bombs, SVG and
other markup, GIF, animations, CMYK, and polyglots (a ZIP, a script or any other data after
the image's end). Cleaning is lossless for JPEG, PNG and WebP (metadata segments and chunks
are dropped; the pixel data is copied byte for byte); TIFF is re-encoded losslessly from its
pixels. What is kept: pixels, the colour profile, and the orientation (in a minimal EXIF
block with nothing else). Never GPS, EXIF, XMP, IPTC, comments or text chunks."""

import hashlib
import io
import tempfile
import zlib
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.utils import timezone
from django.utils.translation import ngettext
from PIL import Image, UnidentifiedImageError

from catalog.consent.embedded import EmbeddedSignals, embedded_signals
from catalog.images import (
    ORIENTATION,
    DecodedImage,
    ImageRejected,
    decode_image,
    too_many_pixels,
)

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF")
FORMAT_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "TIFF": "TIFF"}
FORMAT_BY_EXTENSION = {
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "jpe": "JPEG",
    "jfif": "JPEG",
    "png": "PNG",
    "webp": "WEBP",
    "tif": "TIFF",
    "tiff": "TIFF",
}
GPS_IFD = 0x8825
SPOOL_BYTES = 4 * 1024 * 1024  # cleaned files larger than this wait on disk, not in memory


@dataclass
class VerifiedImage:
    """An upload that passed verification: its cleaned bytes (what is stored and served)
    and their description. Close it when done."""

    filename: str
    image: DecodedImage  # of the cleaned file: its SHA-256 is the storage key
    content: IO[bytes]
    received_sha256: str  # of the bytes as uploaded (the same file may be in the base set)
    removed: tuple[str, ...]  # metadata found and removed: "exif", "gps", "xmp", ...
    # What the file as received said about itself (XMP, IPTC, C2PA), read before cleaning
    # removed it: the uploader's hold is decided on it.
    embedded: EmbeddedSignals | None = None

    def close(self) -> None:
        self.content.close()


# --- verification -----------------------------------------------------------------------


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """At most `limit` bytes of the stream, or ImageRejected: never more than limit + 1 are
    read into memory."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ImageRejected("file_too_large", f"the file is larger than {_size(limit)}")
    return data


def declared_format(filename: str) -> str:
    """The image format the file's name claims, or ImageRejected if we do not take it."""
    name = filename.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext in FORMAT_BY_EXTENSION:
        return FORMAT_BY_EXTENSION[ext]
    if ext in ("svg", "svgz"):
        raise ImageRejected(
            "unsupported_type",
            "SVG images are not accepted (they can carry "
            "scripts); upload a PNG, JPEG, WebP or TIFF",
        )
    if ext == "gif":
        raise ImageRejected(
            "unsupported_type", "GIF images are not accepted; upload a PNG, JPEG, WebP or TIFF"
        )
    shown = f".{ext} files are" if ext else "files without an extension are"
    raise ImageRejected(
        "unsupported_type",
        f"{shown} not accepted; name the file .jpg, .png, .webp or .tif after its type",
    )


def upload_verify(data: bytes, *, filename: str, max_pixels: int) -> VerifiedImage:
    """Verify and clean one uploaded file, or raise ImageRejected (reason, message)."""
    if not data:
        raise ImageRejected("empty_file", "the file is empty")
    declared = declared_format(filename)
    _refuse_known_non_images(data)
    fmt, orientation, removed = _probe(data, max_pixels=max_pixels)
    if fmt != declared:
        raise ImageRejected(
            "extension_mismatch",
            f"the file is a {FORMAT_NAMES[fmt]} image but its name says "
            f"{FORMAT_NAMES[declared]}; rename it to match its type",
        )
    if _zip_inside(data):
        raise ImageRejected(
            "polyglot", "the file is also a ZIP archive (a hidden file); upload the image alone"
        )
    embedded = embedded_signals(
        data, read_at=timezone.now(), trust_anchors_path=settings.C2PA_TRUST_ANCHORS
    )
    cleaned = _CLEANERS[fmt](data, orientation, removed)
    image = decode_image(
        cleaned, max_pixels=max_pixels, thumbnail_size=settings.THUMBNAIL_SIZE, formats=(fmt,)
    )
    content = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by VerifiedImage.close
    content.write(cleaned)
    content.seek(0)
    return VerifiedImage(
        filename=filename,
        image=image,
        content=content,
        received_sha256=_sha256(data),
        removed=tuple(sorted(removed)),
        embedded=embedded,
    )


def _refuse_known_non_images(data: bytes) -> None:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if data[:6] in (b"GIF87a", b"GIF89a"):
        raise ImageRejected(
            "unsupported_type",
            "the file is a GIF image; GIF is not accepted, upload a PNG, JPEG, WebP or TIFF",
        )
    if head.startswith(b"<"):  # SVG, HTML, XML: markup, which browsers may run
        raise ImageRejected(
            "unsupported_type",
            "the file is an SVG, HTML or XML document, not an image; SVG is not accepted",
        )


def pixel_limit(max_pixels: int) -> int:
    """The most pixels an upload may have: UPLOAD_MAX_PIXELS, or Pillow's decompression-bomb
    limit if lower."""
    return min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)


def _probe(data: bytes, *, max_pixels: int) -> tuple[str, int | None, set[str]]:
    """Format, EXIF orientation and the kinds of metadata present, from the header."""
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            if image.format == "MPO":
                raise ImageRejected(
                    "multi_page",
                    "the file holds several pictures (MPO); upload one picture per file",
                )
            width, height = image.size
            if width * height > pixel_limit(max_pixels):
                raise too_many_pixels(pixel_limit(max_pixels), (width, height))
            if getattr(image, "is_animated", False) or getattr(image, "n_frames", 1) > 1:
                if image.format == "TIFF":
                    raise ImageRejected(
                        "multi_page", "the TIFF has several pages; upload one image per file"
                    )
                raise ImageRejected(
                    "animated",
                    f"the {FORMAT_NAMES[image.format]} is animated; only still images are accepted",
                )
            if image.mode == "CMYK":
                raise ImageRejected(
                    "cmyk", "CMYK images are not accepted; convert it to RGB and upload again"
                )
            exif = image.getexif()  # for TIFF, its tags: _clean_tiff names what it drops
            removed = {"exif"} if len(exif) and image.format != "TIFF" else set()
            if exif.get_ifd(GPS_IFD) or GPS_IFD in exif:
                removed.add("gps")
            if "xmp" in image.info or "XML:com.adobe.xmp" in image.info:
                removed.add("xmp")
            return image.format, exif.get(ORIENTATION), removed
    except ImageRejected:
        raise
    except UnidentifiedImageError as exc:
        raise ImageRejected("not_an_image", "not a JPEG, PNG, WebP or TIFF image") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels(pixel_limit(max_pixels)) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("corrupt_image", f"the image cannot be read: {exc}") from exc


def _zip_inside(data: bytes) -> bool:
    """Whether ZIP readers (jar, docx, zip) would open the file: they look for the
    end-of-central-directory record at the very end, after an optional comment."""
    start = max(0, len(data) - 65_557)
    at = data.rfind(b"PK\x05\x06", start)
    while at >= 0:
        if at + 22 + int.from_bytes(data[at + 20 : at + 22], "little") == len(data):
            return True
        at = data.rfind(b"PK\x05\x06", start, at)
    return False


def _refuse_trailing(data: bytes, end: int, fmt: str) -> None:
    if data[end:].strip(b"\x00"):
        raise ImageRejected(
            "polyglot",
            ngettext(
                "%(n)d byte of other data follows",
                "%(n)d bytes of other data follow",
                len(data) - end,
            )
            % {"n": len(data) - end}
            + f" the end of the {FORMAT_NAMES[fmt]} image (a hidden file or script); upload "
            "the image alone",
        )


def _truncated(fmt: str) -> ImageRejected:
    return ImageRejected(
        "corrupt_image",
        f"the {FORMAT_NAMES[fmt]} file is truncated or damaged: it ends before the image does",
    )


# --- cleaning: JPEG ---------------------------------------------------------------------

_JPEG_KEEP = {0xC4, 0xCC, 0xDB, 0xDD, 0xDC} | set(range(0xC0, 0xD0))  # tables and frames


def _jpeg_segments(data: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """The JPEG's segments as (marker, start, end) up to the end-of-image marker, and the
    offset just after it. Entropy-coded data is part of its scan's segment."""
    n = len(data)
    segments, pos = [(0xD8, 0, 2)], 2
    while True:
        if pos + 1 >= n:
            raise _truncated("JPEG")
        if data[pos] != 0xFF:
            raise ImageRejected(
                "corrupt_image", "the JPEG has unexpected bytes between its segments"
            )
        while pos + 1 < n and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        if pos + 1 >= n:
            raise _truncated("JPEG")
        marker = data[pos + 1]
        if marker == 0xD9:
            segments.append((marker, pos, pos + 2))
            return segments, pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            segments.append((marker, pos, pos + 2))
            pos += 2
            continue
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if pos + 4 > n or end > n or end < pos + 4:
            raise _truncated("JPEG")
        if marker == 0xDA:  # the scan's data runs to the next marker that is not stuffing
            while True:
                end = data.find(b"\xff", end)
                if end < 0 or end + 1 >= n:
                    raise _truncated("JPEG")
                following = data[end + 1]
                if following == 0xFF:
                    end += 1
                elif following == 0x00 or 0xD0 <= following <= 0xD7:
                    end += 2
                else:
                    break
        segments.append((marker, pos, end))
        pos = end


def _clean_jpeg(data: bytes, orientation: int | None, removed: set[str]) -> bytes:
    segments, end = _jpeg_segments(data)
    _refuse_trailing(data, end, "JPEG")
    out = [data[:2]]
    for marker, start, stop in segments[1:]:
        payload = data[start + 4 : stop]
        if marker == 0xE0 and payload.startswith(b"JFIF\x00") and len(payload) >= 12:
            # JFIF without its embedded thumbnail (which may show what was cropped away).
            out.append(_jpeg_segment(0xE0, payload[:12] + b"\x00\x00"))
        elif (marker == 0xE2 and payload.startswith(b"ICC_PROFILE\x00")) or (
            marker == 0xEE and payload.startswith(b"Adobe")
        ):
            out.append(data[start:stop])  # colour profile and colour transform
        elif marker in _JPEG_KEEP or marker == 0xDA or 0xD0 <= marker <= 0xD9:
            out.append(data[start:stop])
        else:
            removed.add(_jpeg_label(marker, payload))
    if orientation and orientation != 1:  # after JFIF's APP0, which must come first
        at = 2 if len(out) > 1 and out[1][:2] == b"\xff\xe0" else 1
        out.insert(at, _jpeg_segment(0xE1, _exif_with_orientation(orientation)))
    return b"".join(out)


def _jpeg_label(marker: int, payload: bytes) -> str:
    if marker == 0xE1:
        return "xmp" if payload.startswith(b"http://ns.adobe.com/") else "exif"
    return {0xFE: "comment", 0xED: "iptc"}.get(marker, "other")


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


def _exif_with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif.tobytes()  # b"Exif\x00\x00" + TIFF header + one IFD entry


# --- cleaning: PNG, WebP, TIFF ----------------------------------------------------------

_PNG_KEEP = {
    b"IHDR",
    b"PLTE",
    b"IDAT",
    b"IEND",
    b"tRNS",
    b"gAMA",
    b"cHRM",
    b"sRGB",
    b"iCCP",
    b"sBIT",
    b"pHYs",
    b"bKGD",
    b"cICP",
    b"mDCV",
    b"cLLI",
}


def _clean_png(data: bytes, orientation: int | None, removed: set[str]) -> bytes:
    pos, out, n = 8, [data[:8]], len(data)
    orient = orientation and orientation != 1  # an eXIf chunk with it goes before the pixels
    while True:
        if pos + 12 > n:
            raise _truncated("PNG")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + int.from_bytes(data[pos : pos + 4], "big")
        if end > n:
            raise _truncated("PNG")
        if kind in _PNG_KEEP:
            if kind == b"IDAT" and orient:
                out.append(_png_chunk(b"eXIf", _exif_with_orientation(orientation)[6:]))
                orient = False
            out.append(data[pos:end])
        else:
            removed.add(
                {
                    b"eXIf": "exif",
                    b"tEXt": "text",
                    b"zTXt": "text",
                    b"iTXt": "text",
                    b"tIME": "time",
                }.get(kind, "other")
            )
        if kind == b"IEND":
            _refuse_trailing(data, end, "PNG")
            return b"".join(out)
        pos = end


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return len(payload).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")


def _clean_webp(data: bytes, orientation: int | None, removed: set[str]) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise _truncated("WEBP")
    end = 8 + int.from_bytes(data[4:8], "little")
    if end > len(data):
        raise _truncated("WEBP")
    _refuse_trailing(data, end, "WEBP")
    pos, chunks, extended = 12, [], False
    while pos < end:
        if pos + 8 > end:
            raise _truncated("WEBP")
        kind = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        stop = pos + 8 + size + (size & 1)
        if stop > end:
            raise _truncated("WEBP")
        if kind == b"VP8X":
            extended = True
            flags = data[pos + 8] & ~0x0C  # no EXIF (0x08) or XMP (0x04) any more
            if orientation and orientation != 1:
                flags |= 0x08
            chunks.append(data[pos : pos + 8] + bytes([flags]) + data[pos + 9 : stop])
        elif kind in (b"VP8 ", b"VP8L", b"ALPH", b"ICCP"):
            chunks.append(data[pos:stop])
        else:
            removed.add({b"EXIF": "exif", b"XMP ": "xmp"}.get(kind, "other"))
        pos = stop
    if extended and orientation and orientation != 1:
        exif = _exif_with_orientation(orientation)[6:]
        chunks.append(b"EXIF" + len(exif).to_bytes(4, "little") + exif + b"\x00" * (len(exif) & 1))
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + len(body).to_bytes(4, "little") + body


_TIFF_LOSSLESS = {"raw", "tiff_lzw", "tiff_adobe_deflate", "packbits"}
_TIFF_LABELS = {
    34853: "gps",
    34665: "exif",
    700: "xmp",
    33723: "iptc",
    34377: "photoshop",
    37510: "comment",
    270: "text",
    315: "text",
    33432: "text",
}


def _clean_tiff(data: bytes, orientation: int | None, removed: set[str]) -> bytes:
    """TIFF tags can point anywhere in the file: rebuild it from its pixels, losslessly,
    keeping the colour profile, resolution and orientation only."""
    try:
        with Image.open(io.BytesIO(data), formats=("TIFF",)) as image:
            removed.update(label for tag, label in _TIFF_LABELS.items() if tag in image.tag_v2)
            image.load()
            options = {
                "compression": image.info.get("compression", "raw")
                if image.info.get("compression") in _TIFF_LOSSLESS
                else "tiff_adobe_deflate"
            }
            if image.info.get("icc_profile"):
                options["icc_profile"] = image.info["icc_profile"]
            if image.info.get("dpi"):
                options["dpi"] = image.info["dpi"]
            pixels = image.copy()  # a plain image: none of the file's tags travel along
        pixels.info = {}
        if orientation and orientation != 1:
            options["tiffinfo"] = {ORIENTATION: orientation}
        out = io.BytesIO()
        pixels.save(out, "TIFF", **options)
    except (OSError, SyntaxError, ValueError, KeyError, EOFError) as exc:
        raise ImageRejected("corrupt_image", f"the TIFF cannot be decoded: {exc}") from exc
    return out.getvalue()


_CLEANERS = {"JPEG": _clean_jpeg, "PNG": _clean_png, "WEBP": _clean_webp, "TIFF": _clean_tiff}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _size(limit: int) -> str:
    mib = limit / (1024 * 1024)
    return f"{limit} bytes ({mib:.0f} MiB)" if mib >= 1 else f"{limit} bytes"
