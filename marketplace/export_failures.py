"""When a buyer's export (a manifest, a WebDataset shard export) cannot be built: it is
marked failed, with why, for the buyer to read on its page and in the API.

An export that meets a stored file no retry can read (an original gone or damaged, or the
copy with a work's terms gone: marketplace.served) fails at once, names the assets so the
buyer can ask again without them, and tells the moderators as licensing does: an audit
event (`clone.failed`, reason `stored_file_unreadable`) per asset, once a day at most."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Model

from marketplace.served import StoredFileUnreadable, originals_unreadable_report, unreadable_works

# Assets named one by one in a failed export's message; the rest are counted, so that the
# message fits the export's `error` whole.
NAMED_AT_MOST = 10


def _fitted(model: type[Model], error: Exception | str) -> str:
    return str(error)[: model._meta.get_field("error").max_length]


def export_fail(model: type[Model], export_id: int, *, error: Exception | str) -> None:
    """Mark the export failed with `error`'s words (cut to what the field holds)."""
    model.objects.filter(pk=export_id).update(state=model.State.FAILED, error=_fitted(model, error))


def unreadable_found(asset_id: int, detail: str) -> StoredFileUnreadable:
    """The error for one asset whose stored file a build could not read (`detail`: what was
    wrong, for the moderators)."""
    return StoredFileUnreadable(unreadable_works([asset_id]), asset_ids=[asset_id], detail=detail)


def unreadable_together(errors: Iterable[StoredFileUnreadable]) -> StoredFileUnreadable:
    """One error for every asset of these, each with what was wrong with its file, so a
    build names them all at once."""
    details = {i: error.details.get(i, error.detail) for error in errors for i in error.asset_ids}
    return StoredFileUnreadable(unreadable_works(details), asset_ids=details, details=details)


def unreadable_export_message(asset_ids: Iterable[int]) -> str:
    """What the buyer reads on a failed export: which assets, that it is known, and how to
    get the rest now."""
    ids = sorted(set(asset_ids))
    it = "it" if len(ids) == 1 else "them"
    grants = "its grant" if len(ids) == 1 else "their grants"
    return (
        f"{unreadable_works(ids, at_most=NAMED_AT_MOST)} Our moderators have been told. To "
        f"export the rest now, ask again without {it}: take {it} out of the collection, or "
        f"name your grants leaving out {grants}."
    )


@transaction.atomic
def export_unreadable_fail(export, error: StoredFileUnreadable, *, noun: str) -> None:
    """Fail a manifest or shard export whose build met the stored files of `error`'s assets
    that cannot be read, and tell the moderators (`noun` names the export in their log)."""
    message = unreadable_export_message(error.asset_ids)
    export.state, export.error = export.State.FAILED, _fitted(type(export), message)
    export.save(update_fields=["state", "error"])
    originals_unreadable_report(
        asset_ids=error.asset_ids,
        actor=export.buyer.get_username(),
        details={i: f"{noun} {export.pk}: {error.details.get(i, error.detail)}"
                 for i in error.asset_ids},
    )  # fmt: skip
