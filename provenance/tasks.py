"""Provenance work as Celery tasks, for workers and beat. Each is safe to repeat."""

from celery import shared_task

from provenance.services import events_seal


@shared_task(name="provenance.seal_events")
def seal_events_task(limit: int | None = None) -> dict:
    return {"sealed": events_seal(limit=limit)}
