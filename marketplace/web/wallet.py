"""A buyer's wallet and plan: the balance and its statement, top-ups through Stripe
Checkout, the Curation plan (subscribe, manage in the customer portal) and the quota used
this period. Stripe's pages (the sandbox's in the demo) send the buyer back here."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from billing import selectors as billing
from billing import services as payments
from billing.models import TopUp
from common.errors import DomainError
from marketplace.web.access import buyer_required
from marketplace.web.forms import UsdAmountField

STATEMENT_PAGE = 20


@buyer_required
@require_GET
def wallet(request):
    quota = billing.buyer_quota(request.user)
    page = Paginator(billing.wallet_statement(request.user), STATEMENT_PAGE).get_page(
        request.GET.get("page")
    )
    free, curation = billing.plan_choices()
    context = {
        "wallet": billing.wallet_state(request.user),
        "quota": quota,
        "used_share": round(100 * quota.used / quota.limit) if quota.limit else 100,
        "plan": quota.period.plan,
        "free": free,
        "curation": curation,
        "subscribed": billing.has_subscription(request.user),
        "amounts": billing.top_up_amounts(),
        "top_ups": billing.top_ups_recent(request.user),
        "open_state": TopUp.State.OPEN,
        "page": page,
        "sandbox": billing.payments_sandboxed(),
        "suggested": _suggested(request.GET.get("amount", "")),
    }
    return render(request, "web/wallet/wallet.html", context)


def _suggested(raw: str) -> int | None:
    """An amount the license page suggests topping up (micro-USD), rounded up to an amount
    offered; None when none is."""
    try:
        needed = UsdAmountField(required=False).clean(raw)
    except forms.ValidationError:
        return None
    if not needed:
        return None
    offered = [a for a in billing.top_up_amounts() if a >= needed]
    return min(offered) if offered else None


def _back(request) -> str:
    return request.build_absolute_uri(reverse("web:wallet"))


@buyer_required
@require_POST
def top_up(request):
    """Start a top-up: the buyer pays on Stripe's Checkout page (the sandbox's in the demo)
    and comes back to the wallet, credited once Stripe confirms the payment."""
    try:
        amount = UsdAmountField(required=False).clean(request.POST.get("amount_usd", ""))
        if not amount:
            raise DomainError("Choose an amount to add.", code="invalid")
        _, checkout = payments.wallet_top_up_start(
            buyer=request.user, amount_micros=amount, return_url=_back(request)
        )
    except forms.ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("web:wallet")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:wallet")
    return redirect(checkout.url)


def _to_stripe(request, start):
    """Send the buyer to Stripe's page that `start` opens, or back with the reason."""
    try:
        return redirect(start(buyer=request.user, return_url=_back(request)))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:wallet")


@buyer_required
@require_POST
def subscribe(request):
    return _to_stripe(request, lambda **kw: payments.curation_checkout_start(**kw).url)


@buyer_required
@require_POST
def portal(request):
    return _to_stripe(request, payments.curation_portal_url)
