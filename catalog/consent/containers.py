"""The XMP packet inside JPEG, PNG, WebP and TIFF files: found, and put in place losslessly.

Writing never touches the compressed picture: JPEG scans, PNG IDAT, WebP VP8/VP8L/ALPH
chunks and TIFF strips or tiles are copied byte for byte; only the metadata container
around them changes (a JPEG APP1 segment, a PNG iTXt chunk, a WebP "XMP " chunk with its
VP8X flag, a TIFF tag 700 in a new first IFD appended at the end of the file)."""

import struct
import zlib

XMP_JPEG_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_PNG_KEYWORD = b"XML:com.adobe.xmp"
TIFF_XMP_TAG = 700
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_WEBP_XMP_FLAG = 0x04


class UnsupportedImage(ValueError):
    """Not a JPEG, PNG, WebP or (classic) TIFF whose structure we can rewrite."""


def image_format(data: bytes) -> str:
    """`JPEG`, `PNG`, `WEBP` or `TIFF` from the file's signature, else UnsupportedImage."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == _PNG_SIGNATURE:
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    raise UnsupportedImage("not a JPEG, PNG, WebP or TIFF file")


def find_xmp(data: bytes) -> bytes | None:
    """The file's XMP packet (the first one), or None. Never raises on damaged files."""
    try:
        return _FINDERS[image_format(data)](data)
    except (UnsupportedImage, IndexError, ValueError, struct.error):
        return None


def with_xmp(data: bytes, packet: bytes) -> bytes:
    """The same file with `packet` as its only XMP packet; every other byte kept."""
    return _WRITERS[image_format(data)](data, packet)


# --- JPEG: APP1 segments before the first scan -------------------------------------------


def _jpeg_header_segments(data: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """(marker, start, end) of each marker segment before the first scan (SOS), and where
    the scan starts: everything from there on is the picture and stays as it is."""
    segments, pos, n = [], 2, len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            raise UnsupportedImage("unexpected bytes between JPEG segments")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:
            return segments, pos
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if end > n or end < pos + 4:
            raise UnsupportedImage("truncated JPEG segment")
        segments.append((marker, pos, end))
        pos = end
    raise UnsupportedImage("the JPEG has no scan")


def _jpeg_find(data: bytes) -> bytes | None:
    segments, _ = _jpeg_header_segments(data)
    for marker, start, end in segments:
        if marker == 0xE1 and data[start + 4 : end].startswith(XMP_JPEG_HEADER):
            return data[start + 4 + len(XMP_JPEG_HEADER) : end]
    return None


def _jpeg_write(data: bytes, packet: bytes) -> bytes:
    payload = XMP_JPEG_HEADER + packet
    if len(payload) + 2 > 0xFFFF:
        raise ValueError("the XMP packet is too large for one JPEG segment")
    segments, scan = _jpeg_header_segments(data)
    kept = [
        (marker, start, end)
        for marker, start, end in segments
        if not (marker == 0xE1 and data[start + 4 : end].startswith(XMP_JPEG_HEADER))
    ]
    # After JFIF (APP0) and EXIF (APP1), which readers expect first.
    at = 0
    while at < len(kept) and kept[at][0] in (0xE0, 0xE1):
        at += 1
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    parts = [data[:2]] + [data[s:e] for _, s, e in kept[:at]] + [segment]
    parts += [data[s:e] for _, s, e in kept[at:]]
    return b"".join(parts) + data[scan:]


# --- PNG: an iTXt chunk with the keyword XML:com.adobe.xmp ---------------------------------


def _png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of every chunk up to and including IEND."""
    chunks, pos, n = [], 8, len(data)
    while pos + 12 <= n:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > n:
            raise UnsupportedImage("truncated PNG chunk")
        chunks.append((kind, pos, end))
        if kind == b"IEND":
            return chunks
        pos = end
    raise UnsupportedImage("the PNG has no IEND chunk")


def _png_is_xmp(data: bytes, start: int, end: int) -> bool:
    return data[start + 4 : start + 8] == b"iTXt" and data[start + 8 : end - 4].startswith(
        XMP_PNG_KEYWORD + b"\x00"
    )


def _png_find(data: bytes) -> bytes | None:
    for kind, start, end in _png_chunks(data):
        if kind == b"iTXt" and _png_is_xmp(data, start, end):
            body = data[start + 8 : end - 4]
            # keyword \0 compression-flag compression-method language \0 translated \0 text
            rest = body[len(XMP_PNG_KEYWORD) + 1 :]
            compressed, rest = rest[0], rest[2:]
            _, _, rest = rest.partition(b"\x00")  # language tag
            _, _, text = rest.partition(b"\x00")  # translated keyword
            return zlib.decompress(text) if compressed else text
    return None


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return len(payload).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")


def _png_write(data: bytes, packet: bytes) -> bytes:
    chunks = _png_chunks(data)
    if not chunks or chunks[0][0] != b"IHDR":
        raise UnsupportedImage("the PNG does not start with IHDR")
    xmp = _png_chunk(b"iTXt", XMP_PNG_KEYWORD + b"\x00\x00\x00\x00\x00" + packet)
    parts = [data[:8]]
    for index, (_, start, end) in enumerate(chunks):
        if _png_is_xmp(data, start, end):
            continue
        parts.append(data[start:end])
        if index == 0:  # right after IHDR: before the pixels, where readers look
            parts.append(xmp)
    return b"".join(parts) + data[chunks[-1][2] :]


# --- WebP: the "XMP " chunk of the extended format ------------------------------------------


def _webp_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(fourcc, start, end) of each chunk, padding included."""
    end_of_riff = min(8 + int.from_bytes(data[4:8], "little"), len(data))
    chunks, pos = [], 12
    while pos + 8 <= end_of_riff:
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        stop = pos + 8 + size + (size & 1)
        if stop > end_of_riff:
            raise UnsupportedImage("truncated WebP chunk")
        chunks.append((data[pos : pos + 4], pos, stop))
        pos = stop
    return chunks


def _webp_find(data: bytes) -> bytes | None:
    for kind, start, _ in _webp_chunks(data):
        if kind == b"XMP ":
            size = int.from_bytes(data[start + 4 : start + 8], "little")
            return data[start + 8 : start + 8 + size]
    return None


def _webp_canvas(data: bytes, chunks: list[tuple[bytes, int, int]]) -> tuple[int, int, bool]:
    """Width, height and whether there is alpha, from a simple WebP's image chunk."""
    for kind, start, _ in chunks:
        body = data[start + 8 :]
        if kind == b"VP8 ":  # frame tag (3 bytes), start code 9d 01 2a, then 14-bit sizes
            if body[3:6] != b"\x9d\x01\x2a":
                raise UnsupportedImage("damaged VP8 frame header")
            width = int.from_bytes(body[6:8], "little") & 0x3FFF
            height = int.from_bytes(body[8:10], "little") & 0x3FFF
            return width, height, False
        if kind == b"VP8L":  # signature 0x2f, then 14-bit width-1, height-1, alpha bit
            if body[0] != 0x2F:
                raise UnsupportedImage("damaged VP8L header")
            bits = int.from_bytes(body[1:5], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool((bits >> 28) & 1)
    raise UnsupportedImage("the WebP has no image chunk")


def _webp_write(data: bytes, packet: bytes) -> bytes:
    chunks = _webp_chunks(data)
    xmp = b"XMP " + len(packet).to_bytes(4, "little") + packet + b"\x00" * (len(packet) & 1)
    parts = []
    if chunks and chunks[0][0] == b"VP8X":
        _, start, stop = chunks[0]
        flags = data[start + 8] | _WEBP_XMP_FLAG
        parts.append(data[start : start + 8] + bytes([flags]) + data[start + 9 : stop])
        rest = chunks[1:]
    else:  # a simple WebP becomes an extended one: VP8X, then the same image chunk
        width, height, alpha = _webp_canvas(data, chunks)
        flags = _WEBP_XMP_FLAG | (0x10 if alpha else 0)
        header = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little")
        header += (height - 1).to_bytes(3, "little")
        parts.append(b"VP8X" + len(header).to_bytes(4, "little") + header)
        rest = chunks
    parts += [data[start:stop] for kind, start, stop in rest if kind != b"XMP "]
    parts.append(xmp)  # XMP comes last, after the image and any EXIF
    body = b"WEBP" + b"".join(parts)
    return b"RIFF" + len(body).to_bytes(4, "little") + body


# --- TIFF: tag 700 in the first IFD ----------------------------------------------------------


def _tiff_order(data: bytes) -> str:
    return "<" if data[:2] == b"II" else ">"


def _tiff_ifd(data: bytes) -> tuple[str, int, list[bytes], int]:
    """Byte order, offset of the first IFD, its raw 12-byte entries and the next IFD's
    offset."""
    order = _tiff_order(data)
    (offset,) = struct.unpack_from(order + "I", data, 4)
    (count,) = struct.unpack_from(order + "H", data, offset)
    if offset + 6 + 12 * count > len(data):
        raise UnsupportedImage("truncated TIFF directory")
    entries = [data[offset + 2 + 12 * i : offset + 14 + 12 * i] for i in range(count)]
    (next_ifd,) = struct.unpack_from(order + "I", data, offset + 2 + 12 * count)
    return order, offset, entries, next_ifd


def _tiff_find(data: bytes) -> bytes | None:
    order, _, entries, _ = _tiff_ifd(data)
    for entry in entries:
        tag, kind, count, value = struct.unpack(order + "HHII", entry)
        if tag == TIFF_XMP_TAG and kind in (1, 7):  # BYTE or UNDEFINED
            if count <= 4:
                return entry[8 : 8 + count]
            return data[value : value + count]
    return None


def _tiff_write(data: bytes, packet: bytes) -> bytes:
    """Append the packet and a copy of the first IFD with tag 700 set, then point the
    header at the new IFD. Entries keep their absolute offsets, so the strips, tiles and
    other tags' values are untouched where they are."""
    order, _, entries, next_ifd = _tiff_ifd(data)
    out = bytearray(data)
    if len(out) % 2:
        out.append(0)  # values start on a word boundary
    packet_at = len(out)
    out += packet
    if len(out) % 2:
        out.append(0)
    kept = [e for e in entries if struct.unpack(order + "H", e[:2])[0] != TIFF_XMP_TAG]
    xmp_entry = struct.pack(order + "HHII", TIFF_XMP_TAG, 1, len(packet), packet_at)
    ordered = sorted([*kept, xmp_entry], key=lambda e: struct.unpack(order + "H", e[:2])[0])
    ifd_at = len(out)
    out += struct.pack(order + "H", len(ordered)) + b"".join(ordered)
    out += struct.pack(order + "I", next_ifd)
    struct.pack_into(order + "I", out, 4, ifd_at)
    return bytes(out)


_FINDERS = {"JPEG": _jpeg_find, "PNG": _png_find, "WEBP": _webp_find, "TIFF": _tiff_find}
_WRITERS = {"JPEG": _jpeg_write, "PNG": _png_write, "WEBP": _webp_write, "TIFF": _tiff_write}
