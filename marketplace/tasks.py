from celery import shared_task
from django.core.management import call_command


@shared_task(name="marketplace.tasks.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Daily: delete expired sign-in sessions (scheduled in CELERY_BEAT_SCHEDULE)."""
    call_command("clearsessions")
