from celery import shared_task
from django.core.management import call_command


@shared_task(name="marketplace.tasks.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Daily: delete expired sign-in sessions (scheduled in CELERY_BEAT_SCHEDULE)."""
    call_command("clearsessions")


@shared_task(name="marketplace.clear_direct_uploads")
def clear_direct_uploads() -> int:
    """Hourly: delete direct uploads never confirmed, and their files, a day after expiry."""
    from marketplace.uploads import direct_uploads_clear

    return direct_uploads_clear()


@shared_task(name="marketplace.clear_idempotent_requests")
def clear_idempotent_requests() -> int:
    """Hourly: forget the answers kept for Idempotency-Key retries once they are a day old."""
    from marketplace.idempotency import idempotent_requests_clear

    return idempotent_requests_clear()


# A storage error (OSError) is retried with backoff; after the last try the export fails
# with words a buyer can act on (the error itself, with its paths, goes to the log).
STORAGE_FAILED = (
    "The files could not be written to storage after {tries} tries. Nothing was charged; "
    "ask for the export again later."
)


def _build(task, model, build, export_id: int):
    from marketplace.export_failures import export_fail

    try:
        return build(export_id)
    except OSError:
        if task.request.retries >= task.max_retries:
            export_fail(model, export_id, error=STORAGE_FAILED.format(tries=task.max_retries + 1))
        raise  # retried, or the last try's error logged
    except Exception as error:
        export_fail(model, export_id, error=error)
        raise


@shared_task(name="marketplace.build_manifest", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=3, bind=True)  # fmt: skip
def build_manifest(self, manifest_id: int) -> int:
    from marketplace.manifests import manifest_build
    from marketplace.models import ManifestExport

    return _build(self, ManifestExport, manifest_build, manifest_id).rows


@shared_task(name="marketplace.build_shards", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=3, bind=True)  # fmt: skip
def build_shards(self, export_id: int) -> int:
    """Write a shard export; run again (a retry, a redelivery) it resumes where it stopped."""
    from marketplace.models import ShardExport
    from marketplace.shards import shard_export_build

    return _build(self, ShardExport, shard_export_build, export_id).assets


@shared_task(name="marketplace.expire_shard_exports")
def expire_shard_exports() -> int:
    """Daily: delete the shards and index of exports older than SHARD_EXPORT_DAYS."""
    from marketplace.shard_expiry import shard_exports_expire

    return shard_exports_expire()


@shared_task(name="marketplace.expire_manifests")
def expire_manifests() -> int:
    """Daily: delete the files of manifests older than MANIFEST_EXPORT_DAYS."""
    from marketplace.manifest_expiry import manifests_expire

    return manifests_expire()


@shared_task(name="marketplace.make_offer_file", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)  # fmt: skip
def make_offer_file(offer_id: int) -> str:
    """After an offer commits: the copy of the work's file its grants download, with the
    offer's terms written in (marketplace.served)."""
    from marketplace.models import Offer
    from marketplace.served import StoredFileUnreadable, offer_file_make

    try:
        return offer_file_make(offer_id).key
    except Offer.DoesNotExist:  # the work was deleted meanwhile: nothing to serve
        return ""
    except StoredFileUnreadable as error:  # retrying cannot help: the moderators are told
        error.report(actor="marketplace.make_offer_file")
        return ""


@shared_task(name="marketplace.deliver_webhook")
def deliver_webhook(delivery_id: int) -> str | None:
    """Send one buyer's webhook event (a try; the next one is scheduled on failure)."""
    from marketplace.webhooks import webhook_deliver

    return webhook_deliver(delivery_id)


@shared_task(name="marketplace.sweep_webhooks")
def sweep_webhooks() -> int:
    """Every minute: queue webhook deliveries that are due (retries hours away, and those
    a lost worker or a broker outage left behind)."""
    from marketplace.webhooks import webhooks_sweep

    return webhooks_sweep()


@shared_task(name="marketplace.purge_webhook_deliveries")
def purge_webhook_deliveries() -> int:
    """Daily: delete finished webhook deliveries (and their tries) older than
    WEBHOOK_DELIVERY_DAYS; pending ones stay until they finish."""
    from marketplace.webhook_log import webhook_deliveries_purge

    return webhook_deliveries_purge()
