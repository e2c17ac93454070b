"""Assets whose stored files carry their real SHA-256 and size, as cloned and uploaded ones
do (the shards and the client check every file against them)."""

import hashlib

from django.core.files.storage import default_storage

from catalog.models import Asset
from tests.marketplace.factories import opt_in_work, stored_asset


def _hashed(asset: Asset) -> Asset:
    with default_storage.open(asset.original_key, "rb") as stored:
        data = stored.read()
    asset.sha256, asset.byte_size = hashlib.sha256(data).hexdigest(), len(data)
    asset.save(update_fields=["sha256", "byte_size"])
    return asset


def hashed_asset(**fields) -> Asset:
    return _hashed(stored_asset(**fields))


def hashed_work(owner, **options):
    work = opt_in_work(owner, **options)
    _hashed(work.asset)
    return work


def stored_bytes(asset: Asset) -> bytes:
    with default_storage.open(asset.original_key, "rb") as stored:
        return stored.read()


def served_bytes(asset: Asset, buyer) -> bytes:
    """The bytes a buyer's grant serves: an opt-in work's file carries its offer's terms
    (marketplace.served), a base-set asset's is its original."""
    from marketplace.served import served_file

    with default_storage.open(served_file(asset.grants.get(buyer=buyer)).key, "rb") as file:
        return file.read()
