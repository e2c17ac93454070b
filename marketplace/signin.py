"""Sign-in lockout: after SIGNIN_FAILURE_LIMIT failed sign-ins for one username from one
address, django-axes refuses that pair for SIGNIN_LOCKOUT_MINUTES, on the API, the admin
and the site alike. Here: the answer a locked-out request gets, and the audit event."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append


def lockout_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the API's error body on API paths, a page elsewhere."""
    from marketplace.api.errors import error_body  # the API layer imports this module

    minutes = lockout_minutes()
    headers = {"Retry-After": str(minutes * 60)}
    if request.path.startswith("/api/"):
        message = (
            f"Too many failed sign-ins for this account from here; try again in {minutes} minutes."
        )
        return JsonResponse(error_body("locked_out", message), status=429, headers=headers)
    page = render_to_string("marketplace/locked_out.html", {"minutes": minutes}, request)
    return HttpResponse(page, status=429, headers=headers)


def on_user_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    """Record a lockout in the audit log, once per username and address while it lasts
    (every refused attempt during a lockout signals it again)."""
    pair = hashlib.sha256(f"{username}\n{ip_address}".encode()).hexdigest()
    key = f"signin-lockout-logged:{pair}"
    if not cache.add(key, 1, timeout=int(settings.AXES_COOLOFF_TIME.total_seconds())):
        return
    events_append(
        [
            ProvenanceEvent(
                asset_id=None,
                kind=EventKind.ACCOUNT_LOCKED_OUT,
                actor=(username or "")[:150],
                data={
                    "ip_address": ip_address or "",
                    "path": getattr(request, "path", ""),
                    "failure_limit": settings.AXES_FAILURE_LIMIT,
                    "minutes": lockout_minutes(),
                },
            )
        ]
    )
