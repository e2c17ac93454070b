"""Rights holders' Stripe Connect accounts: onboarding links and payout readiness."""

from django.conf import settings
from django.db import transaction

from billing.event_order import is_newer, mark_applied
from billing.gateway import gateway
from billing.models import ConnectAccount


def connect_onboarding_url(*, rights_holder, return_url: str = "", refresh_url: str = "") -> str:
    """A Stripe onboarding link, opening the connected account on first use. It sends the
    rights holder back to `return_url` when done and to `refresh_url` when it has expired
    (the settings' addresses when not given)."""
    payments = gateway()
    account = ConnectAccount.objects.filter(rights_holder=rights_holder).first()
    if account is None:
        account_id = payments.connect_account_create(
            email=rights_holder.email, user_id=rights_holder.pk
        )
        account, _ = ConnectAccount.objects.get_or_create(
            rights_holder=rights_holder, defaults={"stripe_account_id": account_id}
        )
    return payments.connect_link(
        account_id=account.stripe_account_id,
        refresh_url=refresh_url or settings.BILLING_CONNECT_REFRESH_URL,
        return_url=return_url or settings.BILLING_SUCCESS_URL,
    )


@transaction.atomic
def connect_account_updated(event: dict) -> None:
    """account.updated: whether Stripe now accepts transfers to the account."""
    obj = event["data"]["object"]
    account = ConnectAccount.objects.select_for_update().filter(stripe_account_id=obj["id"]).first()
    if account is None or not is_newer(account, event):
        return
    account.payouts_enabled = bool(obj.get("payouts_enabled"))
    account.details_submitted = bool(obj.get("details_submitted"))
    mark_applied(account, event)
    account.save()
