"""Staff see the ledger in the admin and cannot change it."""

import pytest
from django.utils import timezone

from billing.ledger import wallet_of
from billing.models import Account, LedgerTransaction, Payout, StripeEvent
from marketplace.models import Role
from tests.billing.conftest import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw-long-enough")
    client.force_login(admin)
    return client


def test_every_billing_page_renders_and_the_ledger_is_read_only(staff_client, buyer):
    fund(buyer, 2_500_000)
    for model in ("account", "ledgertransaction", "topup", "payout", "subscription",
                  "connectaccount", "stripeevent"):  # fmt: skip
        response = staff_client.get(f"/admin/billing/{model}/")
        assert response.status_code == 200, model
        assert staff_client.get(f"/admin/billing/{model}/add/").status_code == 403
    entry = LedgerTransaction.objects.get()
    page = staff_client.get(f"/admin/billing/ledgertransaction/{entry.pk}/change/")
    assert page.status_code == 200
    assert "2.500000" in page.content.decode()
    assert (
        staff_client.post(f"/admin/billing/ledgertransaction/{entry.pk}/delete/").status_code == 403
    )


def test_staff_can_lift_a_wallet_freeze(staff_client, buyer):
    wallet = wallet_of(buyer)
    Account.objects.filter(pk=wallet.pk).update(frozen=True, frozen_reason="dispute")
    response = staff_client.post(
        "/admin/billing/account/",
        {"action": "unfreeze", "_selected_action": [wallet.pk]},
        follow=True,
    )
    assert "Lifted the freeze on 1 account." in response.content.decode()
    assert not Account.objects.get(pk=wallet.pk).frozen


def test_lifting_a_freeze_that_is_not_there_says_so(staff_client, buyer, make_user):
    wallet, other = wallet_of(buyer), wallet_of(make_user("cal", role=Role.BUYER))
    Account.objects.filter(pk__in=[wallet.pk, other.pk]).update(frozen=True, frozen_reason="x")
    both = {"action": "unfreeze", "_selected_action": [wallet.pk, other.pk]}
    response = staff_client.post("/admin/billing/account/", both, follow=True)
    assert "Lifted the freeze on 2 accounts." in response.content.decode()
    # Filtered to frozen wallets, one lifted meanwhile by someone else: named, not skipped.
    Account.objects.filter(pk=other.pk).update(frozen=True)
    response = staff_client.post("/admin/billing/account/?frozen__exact=1", both, follow=True)
    page = response.content.decode()
    assert "Lifted the freeze on 1 account." in page
    assert f"Account {wallet.pk} (buyer wallet of bea): not frozen; nothing to lift." in page


def test_resending_a_payout_that_is_not_pending_says_so(staff_client, artist):
    payout = Payout.objects.create(
        rights_holder=artist, batch="2026-11-21", amount_micros=1_000_000,
        idempotency_key="payout:2026-11-21:x", state=Payout.State.SENT,
    )  # fmt: skip
    response = staff_client.post(
        "/admin/billing/payout/?state__exact=pending",
        {"action": "resend", "_selected_action": [payout.pk]},
        follow=True,
    )
    assert (f"Payout {payout.pk} (2026-11-21, to arti): transfer made, not pending; nothing "
            "to send.") in response.content.decode()  # fmt: skip


def test_reapplying_an_applied_event_says_so(staff_client):
    event = StripeEvent.objects.create(
        event_id="evt_done", type="invoice.paid", created=0, payload={},
        processed_at=timezone.now(),
    )  # fmt: skip
    response = staff_client.post(
        "/admin/billing/stripeevent/?processed_at__isnull=True",
        {"action": "reprocess", "_selected_action": [event.pk]},
        follow=True,
    )
    assert "Event evt_done: applied already on" in response.content.decode()
    assert "nothing was done." in response.content.decode()
