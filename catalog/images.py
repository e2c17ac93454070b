"""Decoding and describing images: what we accept, its real type and size, a thumbnail with
no metadata, and the hashes used for storage keys and dedupe. Pure functions on bytes."""

import hashlib
import io
from dataclasses import dataclass

import imagehash
from PIL import Image, UnidentifiedImageError

MIME_BY_FORMAT = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "GIF": "image/gif",
}
EXTENSION_BY_MIME = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/tiff": "tif",
    "image/gif": "gif",
}


class ImageRejected(ValueError):
    """Bytes we will not keep; `reason` is the report's reason code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def too_many_pixels(limit: int, size: tuple[int, int] | None = None) -> ImageRejected:
    """The refusal of an image over a pixel limit, in our words (Pillow's decompression-bomb
    errors say "... could be decompression bomb DOS attack.", which is not for people)."""
    if size is None:
        message = f"the image has more than {limit:,} pixels, the most we accept"
    else:
        width, height = size
        message = (
            f"the image is {width:,}x{height:,} = {width * height:,} pixels; "
            f"at most {limit:,} are accepted"
        )
    return ImageRejected("image_too_large", message)


@dataclass(frozen=True)
class DecodedImage:
    sha256: str
    mime_type: str
    width: int
    height: int
    byte_size: int
    perceptual_hash: str  # 16 hex digits
    thumbnail: bytes  # JPEG, without EXIF or any other metadata

    @property
    def extension(self) -> str:
        return EXTENSION_BY_MIME[self.mime_type]


ORIENTATION = 0x0112  # EXIF tag: how the stored pixels must be turned to stand upright
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def phash_bands(perceptual_hash: str) -> tuple[int, int, int, int]:
    """The 64-bit hash as four 16-bit integers (see Asset.phash_band0)."""
    value = int(perceptual_hash, 16)
    return tuple((value >> shift) & 0xFFFF for shift in (0, 16, 32, 48))  # type: ignore[return-value]


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def decode_image(
    data: bytes, *, max_pixels: int, thumbnail_size: int, formats=tuple(MIME_BY_FORMAT)
) -> DecodedImage:
    """Verify and describe an image, or raise ImageRejected. The pixel limit is checked from
    the header, before any pixel is decoded (decompression bombs)."""
    if not data:
        raise ImageRejected("not_an_image", "the file is empty")
    try:
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            fmt = probe.format
            width, height = probe.size
            if width * height > max_pixels:
                raise too_many_pixels(max_pixels, (width, height))
            probe.verify()
        with Image.open(io.BytesIO(data), formats=formats) as image:
            orientation = image.getexif().get(ORIENTATION)
            # JPEGs decode at a reduced scale (all data is still read, so truncation shows).
            image.draft("RGB", (thumbnail_size, thumbnail_size))
            image.load()
            small = _reduced(image, thumbnail_size)
            # The thumbnail is shown upright, as a camera's orientation tag asks; the hash
            # and the dimensions describe the stored pixels, as they always have.
            thumbnail = _jpeg(small.transpose(TRANSPOSE[orientation])
                              if orientation in TRANSPOSE else small)  # fmt: skip
            # phash looks at 32x32 grey pixels: reduced here with a box filter, much cheaper
            # than imagehash's own Lanczos pass over the image, and as stable.
            grey = small.convert("L").resize((32, 32), Image.Resampling.BOX)
            perceptual = str(imagehash.phash(grey))
    except ImageRejected:
        raise
    except UnidentifiedImageError as exc:
        raise ImageRejected("not_an_image", "not a JPEG, PNG, WebP, TIFF or GIF image") from exc
    except Image.DecompressionBombError as exc:
        # Pillow refuses twice its MAX_IMAGE_PIXELS while reading the header.
        raise too_many_pixels(min(max_pixels, 2 * Image.MAX_IMAGE_PIXELS)) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("corrupt_image", f"the image cannot be decoded: {exc}") from exc
    return DecodedImage(
        sha256=hashlib.sha256(data).hexdigest(),
        mime_type=MIME_BY_FORMAT[fmt],
        width=width,
        height=height,
        byte_size=len(data),
        perceptual_hash=perceptual,
        thumbnail=thumbnail,
    )


def _reduced(image: Image.Image, size: int) -> Image.Image:
    """An RGB or greyscale copy that fits in size x size, without the original's metadata."""
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGBA").convert("RGB") if "A" in image.mode else image.convert("RGB")
    scale = min(1.0, size / max(image.size))
    target = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # Box (area) filtering: as smooth as bilinear when shrinking, and about a third cheaper,
    # which is a tenth of cloning's CPU per image.
    small = image.resize(target, Image.Resampling.BOX, reducing_gap=2.0)
    small.info = {}  # no EXIF (GPS), XMP, comments or ICC profile travels to the thumbnail
    return small


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
