"""The payment gateway: Stripe when `STRIPE_SECRET_KEY` is set, otherwise the local sandbox.

The sandbox is for the demo only: it hands out links to local pages, labelled SANDBOX, whose
button completes the payment, and production settings refuse to start without Stripe keys.
Both gateways answer the same calls, and both confirm payments through the same event
processing."""

import secrets
from dataclasses import dataclass

import stripe
from django.conf import settings

from billing.errors import PaymentsUnavailable
from billing.sandbox_links import sandbox_link

# Tests inject an HTTP client here, so the real stripe library runs offline.
http_client: stripe.HTTPClient | None = None


@dataclass(frozen=True)
class Redirect:
    """Where to send the person next, and the id of the object that will confirm it."""

    id: str
    url: str


def sandbox_enabled() -> bool:
    return not settings.STRIPE_SECRET_KEY and settings.BILLING_SANDBOX_ALLOWED


def stripe_client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise PaymentsUnavailable("Payments are not configured on this server.")
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        http_client=http_client,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )


class StripeGateway:
    sandbox = False

    def __init__(self):
        self.client = stripe_client()

    def customer_create(self, *, email: str, user_id: int) -> str:
        customer = self.client.v1.customers.create(
            params={"email": email, "metadata": {"user_id": str(user_id)}},
            options={"idempotency_key": f"customer:{user_id}"},
        )
        return customer.id

    def checkout_top_up(
        self, *, user_id: int, email: str, cents: int, success_url: str, cancel_url: str
    ) -> Redirect:
        session = self.client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                **({"customer_email": email} if email else {}),
                "client_reference_id": str(user_id),
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": cents,
                            "product_data": {"name": "Wallet top-up"},
                        },
                    }
                ],
                "metadata": {"purpose": "wallet_top_up", "user_id": str(user_id)},
                "payment_intent_data": {"metadata": {"purpose": "wallet_top_up"}},
                "success_url": success_url,
                "cancel_url": cancel_url,
            }
        )
        return Redirect(session.id, session.url)

    def checkout_subscription(
        self, *, customer_id: str, user_id: int, success_url: str, cancel_url: str
    ) -> Redirect:
        if not settings.STRIPE_CURATION_PRICE_ID:
            raise PaymentsUnavailable("The Curation plan's Stripe price is not configured.")
        session = self.client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer_id,
                "client_reference_id": str(user_id),
                "line_items": [{"price": settings.STRIPE_CURATION_PRICE_ID, "quantity": 1}],
                "metadata": {"purpose": "curation_plan", "user_id": str(user_id)},
                "subscription_data": {"metadata": {"user_id": str(user_id)}},
                "success_url": success_url,
                "cancel_url": cancel_url,
            }
        )
        return Redirect(session.id, session.url)

    def portal(self, *, customer_id: str, return_url: str) -> str:
        session = self.client.v1.billing_portal.sessions.create(
            params={"customer": customer_id, "return_url": return_url}
        )
        return session.url

    def connect_account_create(self, *, email: str, user_id: int) -> str:
        account = self.client.v1.accounts.create(
            params={
                "type": "express",
                "email": email,
                "capabilities": {"transfers": {"requested": True}},
                "metadata": {"user_id": str(user_id)},
            },
            options={"idempotency_key": f"connect-account:{user_id}"},
        )
        return account.id

    def connect_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        link = self.client.v1.account_links.create(
            params={
                "account": account_id,
                "type": "account_onboarding",
                "refresh_url": refresh_url,
                "return_url": return_url,
            }
        )
        return link.url

    def transfer(
        self, *, cents: int, destination: str, idempotency_key: str, metadata: dict
    ) -> str:
        transfer = self.client.v1.transfers.create(
            params={
                "amount": cents,
                "currency": "usd",
                "destination": destination,
                "transfer_group": metadata.get("batch", ""),
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
        return transfer.id


class SandboxGateway:
    """A local stand-in for Stripe in the demo. No money moves; every id says `sandbox`."""

    sandbox = True

    @staticmethod
    def _id(prefix: str) -> str:
        return f"{prefix}_sandbox_{secrets.token_hex(12)}"

    def customer_create(self, *, email: str, user_id: int) -> str:
        return self._id("cus")

    # Its pages (billing.sandbox) stand in for Stripe's: each link names what it is for.
    def checkout_top_up(self, *, success_url: str, cancel_url: str, **kwargs) -> Redirect:
        session_id = self._id("cs")
        return Redirect(
            session_id,
            sandbox_link("top_up", object_id=session_id, return_url=success_url,
                         cancel_url=cancel_url),
        )  # fmt: skip

    def checkout_subscription(
        self, *, customer_id: str, success_url: str, cancel_url: str, **kwargs
    ) -> Redirect:
        return Redirect(
            f"cs_sandbox_sub_{secrets.token_hex(12)}",
            sandbox_link("subscription", object_id=customer_id, return_url=success_url,
                         cancel_url=cancel_url),
        )  # fmt: skip

    def portal(self, *, customer_id: str, return_url: str) -> str:
        return sandbox_link("portal", object_id=customer_id, return_url=return_url)

    def connect_account_create(self, *, email: str, user_id: int) -> str:
        return self._id("acct")

    def connect_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        return sandbox_link(
            "connect", object_id=account_id, return_url=return_url, cancel_url=refresh_url
        )

    def transfer(self, *, cents: int, destination: str, idempotency_key: str, metadata: dict):
        return self._id("tr")


def gateway() -> StripeGateway | SandboxGateway:
    if settings.STRIPE_SECRET_KEY:
        return StripeGateway()
    if sandbox_enabled():
        return SandboxGateway()
    raise PaymentsUnavailable("Payments are not configured on this server.")
