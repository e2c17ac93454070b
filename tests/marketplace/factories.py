"""Catalog entries for marketplace tests: base-set assets and opt-in works, with stored
files, made through the same services the product uses where one exists."""

import itertools

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from catalog.models import Asset, AssetStatus, License
from marketplace.models import OwnershipDeclaration, Use, Work
from marketplace.offers import current_terms, offer_set
from tests.catalog.images import jpeg

_numbers = itertools.count(1)


def stored_asset(**fields) -> Asset:
    n = next(_numbers)
    data = jpeg(n, size=(32, 24))
    key = default_storage.save(f"originals/test/{n}.jpg", ContentFile(data))
    values = {
        "source": "cleveland_museum",
        "source_record_id": f"rec-{n}",
        "title": f"Still life {n}",
        "license": License.CC0,
        "status": AssetStatus.PUBLISHED,
        "original_key": key,
        "mime_type": "image/jpeg",
        "width": 32,
        "height": 24,
        "sha256": f"{n:064x}",
        **fields,
    }
    return Asset.objects.create(**values)


def opt_in_work(
    owner,
    *,
    price_micros: int = 99_000,
    uses: dict[str, int] | None = None,
    allow_commercial: bool = True,
    offered: bool = True,
) -> Work:
    """A published opt-in work: stored, declared, accepted and offered for `uses` (use ->
    price; by default every use at `price_micros`)."""
    asset = stored_asset(
        source="opt_in", license=License.OPT_IN, status=AssetStatus.CANDIDATE,
        creator=owner.username,
    )  # fmt: skip
    work = Work.objects.create(asset=asset, owner=owner)
    OwnershipDeclaration.objects.create(
        work=work,
        statement="I painted it.",
        state=OwnershipDeclaration.State.ACCEPTED,
        decided_at=timezone.now(),
    )
    if offered:
        offer_set(
            owner=owner,
            work_id=work.pk,
            uses=dict.fromkeys(Use.values, price_micros) if uses is None else uses,
            allow_research=True,
            allow_commercial=allow_commercial,
            terms_version=current_terms().version,
        )
    work.asset.refresh_from_db()
    return work
