"""Buyers' webhooks: their revocation events POSTed to endpoints they register, signed
like Stripe's (`Marketplace-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`
with the endpoint's own secret), at least once, retried with exponential backoff for
WEBHOOK_RETRY_DAYS days. Every try is logged (WebhookAttempt) for the admin.

A delivery row is written in the transaction that writes the feed entry, so an event is
never lost between the change and its delivery. A worker claims a due delivery for a
short lease, sends it, and records the answer; a retry a few minutes away is queued with
a countdown, a later one (and anything a lost worker left) is picked up by the periodic
sweep (`webhooks_sweep`)."""

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.errors import DomainError, NotFound
from marketplace.models import Revocation, WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Marketplace-Signature"
LEASE = timedelta(minutes=5)  # a claimed delivery is retried after this if its worker died
QUEUE_WITHIN = timedelta(minutes=15)  # retries sooner than this are queued with a countdown


# --- endpoints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


@dataclass(frozen=True)
class Destination:
    """Where a webhook may be sent: `refusal` says why not ("" when it may); `address` is
    the IP that passed the check, which the request then connects to (None when private
    URLs are allowed: then the host is resolved as usual)."""

    refusal: str
    address: str | None = None


def webhook_destination(url: str) -> Destination:
    """Unless WEBHOOK_ALLOW_PRIVATE_URLS (the demo, the tests), only https to public
    addresses: a buyer's endpoint must never make this server call into its own network.
    Every address the host resolves to must be public, and the request goes to the first
    of them (`address`), never to a second lookup's answer (DNS rebinding)."""
    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return Destination("Give an http(s) address.")
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return Destination("")
    if parsed.scheme != "https":
        return Destination("Give an https address.")
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return Destination("This host name does not resolve.")
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        return Destination("This host name does not resolve.")
    if not all(address.is_global for address in addresses):
        return Destination("This address is not a public one.")
    return Destination("", str(addresses[0]))


def url_refusal(url: str) -> str:
    """Why events may not be sent to `url`, or "" (see `webhook_destination`)."""
    return webhook_destination(url).refusal


def pinned_request(
    http: httpx.Client, url: str, address: str | None, *, content: bytes, headers: dict
) -> httpx.Request:
    """The POST to `url`, connecting to `address` when one is given, while the Host header,
    the TLS server name (SNI) and the certificate check still name the URL's host: so no
    other lookup of the name can send it elsewhere."""
    target = httpx.URL(url)
    if address is None:
        return http.build_request("POST", target, content=content, headers=headers)
    return http.build_request(
        "POST",
        target.copy_with(host=address),
        content=content,
        headers={**headers, "Host": target.netloc.decode("ascii")},
        extensions={"sni_hostname": target.raw_host.decode("ascii")},
    )


def webhook_endpoint_create(*, owner, url: str, description: str = "") -> NewEndpoint:
    """Register an endpoint with a fresh signing secret (returned once, in clear)."""
    if refusal := url_refusal(url):
        raise DomainError(refusal, code="invalid", fields={"url": [refusal]})
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        owner=owner, url=url, description=description, secret=secret
    )
    return NewEndpoint(endpoint, secret)


def webhook_endpoints_of(owner):
    return WebhookEndpoint.objects.filter(owner=owner).order_by("-created_at", "-pk")


def webhook_endpoint_delete(*, owner, endpoint_id: int) -> None:
    """Delete one of the owner's endpoints, and its pending deliveries with it."""
    deleted, _ = WebhookEndpoint.objects.filter(owner=owner, pk=endpoint_id).delete()
    if not deleted:
        raise NotFound("No webhook endpoint of yours has this id.")


# --- events and deliveries --------------------------------------------------------------------


def event_body(entry: Revocation) -> dict:
    """The event a receiver gets: its id (the same on every try and every endpoint: dedupe
    on it), its type, when it occurred, and the feed's item."""
    from marketplace.revocations import revocation_item

    return {
        "id": entry.event_id,
        "type": f"revocation.{entry.kind}",
        "created": int(entry.occurred_at.timestamp()),
        "data": revocation_item(entry),
    }


def deliveries_create(*, revocation_ids: list[int]) -> list[int]:
    """One delivery per new feed entry and active endpoint of its buyer, due now; queued
    for a worker once the transaction commits."""
    entries = list(Revocation.objects.filter(pk__in=revocation_ids).order_by("pk"))
    buyers = {entry.buyer_id for entry in entries}
    endpoints: dict[int, list[int]] = {}
    for endpoint_id, owner_id in WebhookEndpoint.objects.filter(
        owner_id__in=buyers, active=True
    ).values_list("pk", "owner_id"):
        endpoints.setdefault(owner_id, []).append(endpoint_id)
    now = timezone.now()
    created = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=endpoint_id,
                revocation=entry,
                event_id=entry.event_id,
                payload=event_body(entry),
                next_attempt_at=now,
            )
            for entry in entries
            for endpoint_id in endpoints.get(entry.buyer_id, [])
        ]
    )
    ids = [delivery.pk for delivery in created]
    if ids:
        transaction.on_commit(lambda: _queue(ids))
    return ids


def _queue(delivery_ids: list[int], *, countdown: float = 0) -> None:
    from marketplace.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        try:
            deliver_webhook.apply_async((delivery_id,), countdown=countdown)
        except Exception:  # the broker is down: the sweep sends it later
            log.exception("Webhook delivery %s not queued; the sweep will send it", delivery_id)


class _Refused(Exception):
    pass


def signature_header(secret: str, body: bytes, *, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 1, 2, 4 ... minutes, at most 12 hours."""
    return timedelta(minutes=min(2 ** (attempts - 1), 12 * 60))


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take a due delivery for this worker (a lease), or None if it is not due or another
    worker has it."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, state=WebhookDelivery.State.PENDING,
                    next_attempt_at__lte=now)
            .first()
        )  # fmt: skip
        if delivery is None:
            return None
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["next_attempt_at"])
    return delivery


def webhook_deliver(delivery_id: int, *, client: httpx.Client | None = None) -> str | None:
    """Try one due delivery now; returns its state after the try (None: not due, or
    taken by another worker)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    sent_at = timezone.now()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "MarketplaceWebhooks/1.0",
        SIGNATURE_HEADER: signature_header(endpoint.secret, body, timestamp=int(time.time())),
    }
    status_code = None
    destination = webhook_destination(endpoint.url)  # checked now: DNS may have changed
    error = destination.refusal or ("" if endpoint.active else "the endpoint is switched off")
    started = time.monotonic()
    try:
        if error:
            raise _Refused(error)
        http = client or httpx.Client(timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
        try:
            request = pinned_request(http, endpoint.url, destination.address, content=body,
                                     headers=headers)  # fmt: skip
            response = http.send(request)
        finally:
            if client is None:
                http.close()
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except _Refused:
        pass
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record(delivery, sent_at, status_code, error, duration_ms)


def _record(delivery, sent_at, status_code, error: str, duration_ms: int) -> str:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = status_code, error
    retry_at = None
    if not error:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = (
            WebhookDelivery.State.DELIVERED, now, None,
        )  # fmt: skip
    else:
        retry_at = now + retry_delay(delivery.attempts)
        give_up = delivery.created_at + timedelta(days=settings.WEBHOOK_RETRY_DAYS)
        if retry_at > give_up:
            delivery.state, delivery.next_attempt_at, retry_at = (
                WebhookDelivery.State.FAILED, None, None,
            )  # fmt: skip
        else:
            delivery.next_attempt_at = retry_at
    with transaction.atomic():
        fields = ("attempts", "last_status_code", "last_error", "state", "delivered_at",
                  "next_attempt_at")  # fmt: skip
        saved = WebhookDelivery.objects.filter(pk=delivery.pk).update(
            **{name: getattr(delivery, name) for name in fields}
        )
        if not saved:  # its endpoint was deleted meanwhile: nothing left to log
            return "deleted"
        WebhookAttempt.objects.create(
            delivery=delivery, attempted_at=sent_at, status_code=status_code, error=error,
            duration_ms=duration_ms, next_attempt_at=retry_at,
        )  # fmt: skip
    if retry_at is not None and retry_at - now <= QUEUE_WITHIN:
        countdown = (retry_at - now).total_seconds()
        transaction.on_commit(lambda: _queue([delivery.pk], countdown=countdown))
    return delivery.state


def webhooks_sweep(*, limit: int = 1000) -> int:
    """Queue every pending delivery that is due (retries hours away, and those a lost
    worker or a broker outage left). Returns how many were queued."""
    due = list(
        WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    _queue(due)
    return len(due)


def webhook_redeliver(*, delivery_ids: list[int]) -> int:
    """Staff: send these deliveries again now (failed ones too), e.g. after the receiver
    was fixed. Delivered ones are left as they are."""
    return (
        WebhookDelivery.objects.filter(pk__in=delivery_ids)
        .exclude(state=WebhookDelivery.State.DELIVERED)
        .update(state=WebhookDelivery.State.PENDING, next_attempt_at=timezone.now())
    )
