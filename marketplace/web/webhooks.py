"""Buyers' webhook endpoints on the site: the list with each one's latest deliveries, adding
one (its signing secret shown once, here), deleting one after a confirmation. The same
services as the API (marketplace.webhooks); someone else's endpoint is a 404."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from common.errors import DomainError
from marketplace.web.access import buyer_required
from marketplace.web.forms import add_domain_error
from marketplace.webhook_log import (
    RECENT_DELIVERIES,
    webhook_endpoint_of,
    webhook_endpoints_with_recent,
)
from marketplace.webhooks import webhook_endpoint_create, webhook_endpoint_delete


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label="Address (URL)",
        max_length=500,
        assume_scheme="https",
        help_text="Where we send each event, as an HTTP POST. It must start with https:// "
        "and be reachable from the internet.",
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "url"}),
    )
    description = forms.CharField(
        label="Note (optional)",
        max_length=200,
        required=False,
        help_text="For you, to tell your endpoints apart (for example “training cluster A”).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if settings.WEBHOOK_ALLOW_PRIVATE_URLS:  # the demo's: say what it accepts too
            self.fields[
                "url"
            ].help_text += (
                " This server also accepts http:// and local addresses, for trying it out."
            )


def _page(request, form, *, created=None, status=200):
    context = {
        "form": form,
        "created": created,
        "endpoints": webhook_endpoints_with_recent(request.user),
        "recent": RECENT_DELIVERIES,
        "keep_days": settings.WEBHOOK_DELIVERY_DAYS,
        "retry_days": settings.WEBHOOK_RETRY_DAYS,
    }
    return render(request, "web/webhooks/list.html", context, status=status)


@buyer_required
@require_http_methods(["GET", "POST"])
def webhook_list(request):
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = webhook_endpoint_create(owner=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return _page(request, WebhookEndpointForm(), created=created, status=201)
    return _page(request, form, status=400 if form.errors else 200)


@buyer_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request, endpoint_id: int):
    """GET asks for confirmation; POST deletes."""
    endpoint = webhook_endpoint_of(owner=request.user, endpoint_id=endpoint_id)
    if endpoint is None:
        raise Http404("No webhook endpoint of yours has this id.")
    if request.method == "GET":
        return render(request, "web/webhooks/delete.html", {"endpoint": endpoint})
    try:
        webhook_endpoint_delete(owner=request.user, endpoint_id=endpoint_id)
    except DomainError as error:  # deleted meanwhile, in another tab
        raise Http404(error.message) from error
    messages.success(request, f"The endpoint {endpoint.url} is deleted: it gets no more events.")
    return redirect("web:webhooks")
