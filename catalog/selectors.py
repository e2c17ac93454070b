from django.db.models import QuerySet

from catalog.models import Asset, AssetStatus


def asset_list_published() -> QuerySet[Asset]:
    """Everything buyers may see; nothing else is ever listed or retrievable by them."""
    return Asset.objects.filter(status=AssetStatus.PUBLISHED)
