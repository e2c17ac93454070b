"""A person's notifications on the site, with a link to the work each concerns."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from marketplace import selectors
from marketplace.notifications import notifications_mark_read


@login_required
@require_GET
def notification_list(request):
    page = Paginator(selectors.notifications_of(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "web/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request):
    """Mark one (`id`) or all of the person's notifications read."""
    raw = request.POST.get("id")
    if raw is not None and not (raw.isdigit() and len(raw) <= 18):
        messages.error(request, "That notification does not exist.")
        return redirect("web:notifications")
    notifications_mark_read(user=request.user, ids=[int(raw)] if raw else None)
    return redirect("web:notifications")
