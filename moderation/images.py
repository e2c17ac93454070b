"""Reading the image that classifiers score: the stored thumbnail (384-pixel JPEG, made
without metadata when the original was cloned), or, for an asset without one, a thumbnail
made from the stored original the same way, so both paths score the same pixels."""

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import storages
from PIL import Image

from catalog.selectors import ImageRejected, ScoringSubject, decode_image

READERS = 8  # concurrent storage reads (S3 answers in tens of milliseconds each)


@dataclass(frozen=True)
class Unreadable:
    """Why an asset's image could not be scored."""

    reason: str


def scoring_image(subject: ScoringSubject) -> Image.Image | Unreadable:
    """The RGB image to score for one asset, or why there is none. Never raises."""
    try:
        with storages["default"].open(subject.image_key, "rb") as stored:
            data = stored.read()
    except Exception as exc:  # missing object, storage down: try again on a later run
        return Unreadable(f"storage: {type(exc).__name__}: {exc}"[:300])
    try:
        if not subject.is_thumbnail:
            data = decode_image(
                data, max_pixels=settings.CLONE_MAX_PIXELS, thumbnail_size=settings.THUMBNAIL_SIZE
            ).thumbnail
        return decoded(data)
    except ImageRejected as exc:
        return Unreadable(f"{exc.reason}: {exc}"[:300])
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return Unreadable(f"corrupt_image: {exc}"[:300])


def decoded(data: bytes) -> Image.Image:
    """A thumbnail's bytes as an RGB image (greyscale thumbnails included)."""
    image = Image.open(io.BytesIO(data), formats=["JPEG"])
    image.load()
    return image if image.mode == "RGB" else image.convert("RGB")


def scoring_images(subjects: list[ScoringSubject]) -> dict[int, Image.Image | Unreadable]:
    """Each asset's image, read and decoded concurrently."""
    with ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="scoring-read") as pool:
        return dict(
            zip((s.asset_id for s in subjects), pool.map(scoring_image, subjects), strict=True)
        )
