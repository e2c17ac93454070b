"""When a buyer's export (a manifest, a WebDataset shard export) cannot be built: it is
marked failed, with why, for the buyer to read on its page and in the API."""

from django.db.models import Model


def _fitted(model: type[Model], error: Exception | str) -> str:
    return str(error)[: model._meta.get_field("error").max_length]


def export_fail(model: type[Model], export_id: int, *, error: Exception | str) -> None:
    """Mark the export failed with `error`'s words (cut to what the field holds)."""
    model.objects.filter(pk=export_id).update(state=model.State.FAILED, error=_fitted(model, error))
