"""The catalog's work as Celery tasks, for workers and beat. Each is safe to repeat."""

from datetime import date

from celery import shared_task

from catalog.cloning import clone_pending
from catalog.embargo import release_embargoed
from catalog.ingest import ingest_source
from catalog.releases import release_build


@shared_task(name="catalog.ingest_source")
def ingest_source_task(source: str, since: str | None = None, limit: int | None = None) -> dict:
    report = ingest_source(
        source=source,
        since=date.fromisoformat(since) if since else None,
        limit=limit,
        actor=f"task ingest {source}",
    )
    return {"run": report.run.pk, "summary": report.summary()}


@shared_task(name="catalog.clone_pending")
def clone_pending_task(limit: int | None = None) -> dict:
    report = clone_pending(limit=limit, actor="task clone")
    return {"run": report.run.pk, "seen": report.seen, "stored": report.accepted}


@shared_task(name="catalog.release_embargoed")
def release_embargoed_task() -> dict:
    report = release_embargoed(actor="task release_embargoed")
    return {"run": report.run.pk, "summary": report.summary()}


@shared_task(name="catalog.build_release", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=3)  # fmt: skip
def build_release_task(release_id: int, base_url: str = "") -> dict:
    """Build a queued dataset release (a built one is left as it is: frozen). Storage errors
    are retried; any other failure leaves the release `failed` with its error. `base_url`:
    the site's address for the file's links, when PUBLIC_BASE_URL is not set."""
    release = release_build(release_id, actor="task build_release", base_url=base_url)
    return {"release": release.pk, "state": release.state, "total": release.counts.get("total")}
