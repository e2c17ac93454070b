"""The local sandbox gateway's pages and confirmations, for the demo only.

Its checkout, portal and onboarding links open a page that says SANDBOX and what
completing will do; completing writes the events Stripe would send and applies them
through the same processing as real webhooks, then sends the person back to the return
URL. Like Stripe's own links, a sandbox link is its own credential: it is signed, names
the one checkout, customer or account it is for, and expires. It refuses to run whenever a
Stripe key is configured, and production settings refuse to start without one."""

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from billing.errors import PaymentsUnavailable
from billing.gateway import sandbox_enabled
from billing.models import ConnectAccount, Subscription, TopUp
from billing.plans import curation_plan
from billing.sandbox_links import sandbox_link_claims
from billing.webhooks import event_process, event_store
from common.errors import NotFound
from common.money import cents_from_micros, usd

SUBSCRIPTION_SESSION_PREFIX = "cs_sandbox_sub_"


@dataclass(frozen=True)
class SandboxPage:
    """What a sandbox link is for: shown on its page, done when completed."""

    kind: str
    object_id: str
    return_url: str
    cancel_url: str
    title: str
    account: str  # whose wallet, plan or payouts
    effect: str  # what completing does, in words
    done: bool  # completed already (completing again changes nothing)


def sandbox_page(*, route: str, token: str) -> SandboxPage:
    """The page a signed link opens. A link that is forged, expired or for another page is
    a NotFound; with Stripe configured, every link is refused."""
    _require_sandbox()
    claims = sandbox_link_claims(route=route, token=token)
    if claims is None:
        raise NotFound("This sandbox link is not valid or has expired.")
    describe = {
        "top_up": _top_up_page,
        "subscription": _subscription_page,
        "portal": _portal_page,
        "connect": _connect_page,
    }[claims["k"]]
    title, account, effect, done = describe(claims["o"])
    return SandboxPage(
        claims["k"], claims["o"], claims["r"], claims["c"], title, account, effect, done
    )


def _dollars(micros: int) -> str:
    """Whole cents as people write them: 25.00."""
    return usd(micros)[:-4]


def _top_up_page(session_id: str) -> tuple[str, str, str, bool]:
    top_up = TopUp.objects.filter(checkout_session_id=session_id, sandbox=True).first()
    if top_up is None:
        raise NotFound("No sandbox checkout has this id.")
    amount = f"USD {_dollars(top_up.amount_micros)}"
    return (
        f"Pay {amount} into a wallet",
        top_up.buyer.get_username(),
        f"Completing credits {amount} to this wallet, as Stripe's confirmation of a paid "
        "Checkout would. No card is charged and no money moves.",
        top_up.state == TopUp.State.PAID,
    )


def _sandbox_subscription(customer_id: str) -> Subscription:
    subscription = (
        Subscription.objects.filter(stripe_customer_id=customer_id, sandbox=True)
        .select_related("buyer")
        .first()
    )
    if subscription is None:
        raise NotFound("No sandbox subscription has this customer.")
    return subscription


def _subscription_page(customer_id: str) -> tuple[str, str, str, bool]:
    subscription = _sandbox_subscription(customer_id)
    plan = curation_plan()
    return (
        f"Subscribe to the {plan.name} plan",
        subscription.buyer.get_username(),
        f"Completing starts the {plan.name} plan (USD {_dollars(plan.price_micros)} a "
        f"month: {plan.monthly_quota:,} downloads a month and private collections) for 30 "
        "days, as Stripe's confirmation of a paid subscription would. No card is charged.",
        subscription.status == "active",
    )


def _portal_page(customer_id: str) -> tuple[str, str, str, bool]:
    subscription = _sandbox_subscription(customer_id)
    return (
        "Manage the subscription",
        subscription.buyer.get_username(),
        "Completing cancels the Curation subscription now, as cancelling it in Stripe's "
        "customer portal would: the account is back on the Free plan.",
        subscription.status in ("", "canceled"),
    )


def _connect_page(account_id: str) -> tuple[str, str, str, bool]:
    account = (
        ConnectAccount.objects.filter(stripe_account_id=account_id)
        .select_related("rights_holder")
        .first()
    )
    if account is None:
        raise NotFound("No sandbox payout account has this id.")
    return (
        "Set up payouts",
        account.rights_holder.get_username(),
        "Completing finishes payout onboarding, as Stripe Connect would once the rights "
        "holder's details are in: payouts to this account are enabled.",
        account.payouts_enabled,
    )


def sandbox_page_complete(page: SandboxPage) -> None:
    """Do what Stripe's webhook would once the person finished on Stripe's page."""
    if page.kind == "top_up":
        top_up = TopUp.objects.select_related("buyer").get(
            checkout_session_id=page.object_id, sandbox=True
        )
        checkout_complete(user=top_up.buyer, session_id=page.object_id)
    elif page.kind == "subscription":
        _subscription_started(_sandbox_subscription(page.object_id))
    elif page.kind == "portal":
        subscription_cancel(user=_sandbox_subscription(page.object_id).buyer)
    else:
        account = ConnectAccount.objects.select_related("rights_holder").get(
            stripe_account_id=page.object_id
        )
        connect_complete(user=account.rights_holder, account_id=page.object_id)


def _require_sandbox() -> None:
    if not sandbox_enabled():
        raise PaymentsUnavailable("The sandbox gateway is off: this server uses Stripe.")


def _emit(event_type: str, obj: dict) -> None:
    # Ids grow with time so that "newest event wins" follows the order they were made in.
    event = {
        "id": f"evt_sandbox_{time.time_ns():020d}",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }
    record, _ = event_store(event)
    event_process(record.pk)


def checkout_complete(*, user, session_id: str) -> str:
    """Pay a sandbox Checkout page: a top-up is credited, a subscription starts a month."""
    _require_sandbox()
    top_up = TopUp.objects.filter(checkout_session_id=session_id, buyer=user, sandbox=True).first()
    if top_up:
        _emit(
            "checkout.session.completed",
            {
                "id": session_id,
                "object": "checkout.session",
                "mode": "payment",
                "payment_status": "paid",
                "amount_total": cents_from_micros(top_up.amount_micros),
                "payment_intent": f"pi_sandbox_{secrets.token_hex(12)}",
            },
        )
        return "top_up"
    subscription = Subscription.objects.filter(buyer=user, sandbox=True).first()
    if subscription is None or not session_id.startswith(SUBSCRIPTION_SESSION_PREFIX):
        raise NotFound("No sandbox checkout of yours has this id.")
    _subscription_started(subscription)
    return "subscription"


def _subscription_started(subscription: Subscription) -> None:
    """What Stripe says once a Curation checkout is paid: active for a month."""
    _require_sandbox()
    start = timezone.now()
    end = start + timedelta(days=30)
    _emit(
        "customer.subscription.created",
        {
            "id": subscription.stripe_subscription_id or f"sub_sandbox_{secrets.token_hex(12)}",
            "object": "subscription",
            "customer": subscription.stripe_customer_id,
            "status": "active",
            "cancel_at_period_end": False,
            "current_period_start": int(start.timestamp()),
            "current_period_end": int(end.timestamp()),
        },
    )


def subscription_cancel(*, user) -> None:
    """What cancelling in Stripe's portal does: the subscription ends now."""
    _require_sandbox()
    subscription = Subscription.objects.filter(buyer=user, sandbox=True).first()
    if subscription is None or not subscription.stripe_subscription_id:
        raise NotFound("There is no sandbox subscription to cancel.")
    _emit(
        "customer.subscription.deleted",
        {
            "id": subscription.stripe_subscription_id,
            "object": "subscription",
            "customer": subscription.stripe_customer_id,
            "status": "canceled",
        },
    )


def connect_complete(*, user, account_id: str) -> None:
    """Finish sandbox onboarding: the account accepts payouts."""
    _require_sandbox()
    if not ConnectAccount.objects.filter(rights_holder=user, stripe_account_id=account_id):
        raise NotFound("No sandbox payout account of yours has this id.")
    _emit(
        "account.updated",
        {
            "id": account_id,
            "object": "account",
            "payouts_enabled": True,
            "details_submitted": True,
        },
    )
