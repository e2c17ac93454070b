"""The API's sign-in rate (`API_THROTTLE_AUTH`) on the site's sign-in, sign-up, password
reset and token pages: the same DRF throttle and the same cache keys, so attempts through
the API and the site count together."""

import math

from django.shortcuts import render
from rest_framework.throttling import ScopedRateThrottle


class _AuthScope:
    throttle_scope = "auth"


def auth_attempt_refused(request):
    """None when this attempt is allowed (and counted); otherwise the 429 page saying when
    to try again."""
    throttle = ScopedRateThrottle()
    if throttle.allow_request(request, _AuthScope()):
        return None
    wait = max(1, math.ceil(throttle.wait() or 1))
    response = render(request, "web/429.html", {"wait_seconds": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


class AuthThrottledMixin:
    """Class-based views: every POST is an attempt."""

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and (refused := auth_attempt_refused(request)):
            return refused
        return super().dispatch(request, *args, **kwargs)


class _FlagScope:
    throttle_scope = "flags"


def flag_attempt_refused(request):
    """The API's flag rate (`API_THROTTLE_FLAGS`) on the site's flag form: the same counter."""
    throttle = ScopedRateThrottle()
    if throttle.allow_request(request, _FlagScope()):
        return None
    wait = max(1, math.ceil(throttle.wait() or 1))
    response = render(request, "web/429.html", {"wait_seconds": wait, "flags": True}, status=429)
    response["Retry-After"] = str(wait)
    return response
