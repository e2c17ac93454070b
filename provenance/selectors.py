from provenance.models import ProvenanceRecord


def decisions_by_asset(asset_ids: list[int]) -> dict[int, str]:
    """The latest license decision recorded for each of these assets."""
    return dict(
        ProvenanceRecord.objects.filter(asset_id__in=asset_ids).values_list("asset_id", "decision")
    )


def provenance_record(asset_id: int) -> ProvenanceRecord | None:
    """Where the asset came from and why it is allowed, or None if nothing was recorded."""
    return ProvenanceRecord.objects.filter(asset_id=asset_id).first()
