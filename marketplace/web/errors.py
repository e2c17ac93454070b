"""A refused form post (missing or stale CSRF token) in the site's style."""

from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    return render(request, "web/403_csrf.html", status=403)
