from marketplace.export_expiry import ExpireCommand
from marketplace.shard_expiry import shard_exports_due, shard_exports_expire


class Command(ExpireCommand):
    help = (
        "Delete the shards and index of WebDataset shard exports asked for more than "
        "SHARD_EXPORT_DAYS days ago, and mark them expired (their buyers see them as such). "
        "Celery beat runs this daily; an export being built is left for the next run."
    )
    setting = "SHARD_EXPORT_DAYS"
    noun = ("shard export", "shard exports")

    def due(self, *, days):
        return shard_exports_due(days=days)

    def expire(self, *, days, progress):
        return shard_exports_expire(days=days, progress=progress)
