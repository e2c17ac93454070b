"""Staff see the ledger in the admin and cannot change it."""

import pytest

from billing.ledger import wallet_of
from billing.models import Account, LedgerTransaction
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
    assert "Lifted the freeze on 1 account(s)." in response.content.decode()
    assert not Account.objects.get(pk=wallet.pk).frozen
