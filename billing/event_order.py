"""Out-of-order Stripe events: a record remembers the newest event applied to it."""


def is_newer(record, event: dict) -> bool:
    """Whether `event` is newer than the last one applied to `record` (ties broken by id)."""
    return (event["created"], event["id"]) > (record.stripe_updated, record.stripe_event_id)


def mark_applied(record, event: dict) -> None:
    record.stripe_updated, record.stripe_event_id = event["created"], event["id"]
