from django.db import transaction

from catalog.models import Asset


@transaction.atomic
def asset_upsert(*, source: str, source_record_id: str, **fields) -> tuple[Asset, bool]:
    """Create the asset for (source, record id), or update its fields; returns (asset, created)."""
    return Asset.objects.update_or_create(
        source=source, source_record_id=source_record_id, defaults=fields
    )
