"""Assets with a stored thumbnail, as cloning leaves them, and the classifiers' models loaded
once for the whole session (they ship inside their packages)."""

import itertools

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from catalog.models import Asset, AssetStatus, CloneState
from moderation.classifiers import nudity

_numbers = itertools.count()


@pytest.fixture(scope="session")
def nudity_model() -> nudity.NudityModel:
    return nudity.nudity_model()


@pytest.fixture
def stored_asset(db, nudity_model):
    """An asset whose image is in storage: the thumbnail by default, or only the original."""

    def make(image: bytes | None = None, *, original: bytes | None = None,
             status=AssetStatus.PUBLISHED, **fields) -> Asset:  # fmt: skip
        n = next(_numbers)
        if image is not None:
            fields["thumbnail_key"] = default_storage.save(f"thumbnails/{n}.jpg",
                                                           ContentFile(image))  # fmt: skip
        if original is not None:
            fields["original_key"] = default_storage.save(f"originals/{n}.jpg",
                                                          ContentFile(original))  # fmt: skip
        fields.setdefault("title", f"Picture {n}")
        fields = {"source": "cleveland_museum", "license": "cc0-1.0", **fields}
        return Asset.objects.create(
            source_record_id=str(n), status=status, clone_state=CloneState.DONE,
            original_url=f"https://images.example.org/{n}.jpg", **fields,
        )  # fmt: skip

    return make
