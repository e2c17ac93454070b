from marketplace.export_expiry import ExpireCommand
from marketplace.manifest_expiry import manifests_due, manifests_expire


class Command(ExpireCommand):
    help = (
        "Delete the files of manifests asked for more than MANIFEST_EXPORT_DAYS days ago, "
        "and mark them expired (their buyers see them as such). Celery beat runs this daily; "
        "a manifest being built is left for the next run."
    )
    setting = "MANIFEST_EXPORT_DAYS"
    noun = ("manifest", "manifests")

    def due(self, *, days):
        return manifests_due(days=days)

    def expire(self, *, days, progress):
        return manifests_expire(days=days, progress=progress)
