"""An HTTP client for the real stripe library that answers from Stripe's own example
objects (../shared/fixtures/stripe/fixtures3.json, copied into tests/billing/fixtures).

It plays Stripe's part offline: it records every request, returns objects shaped like
Stripe's, and honours idempotency keys the way Stripe does (same key, same answer)."""

import copy
import hashlib
import hmac
import itertools
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import stripe

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "stripe_objects.json").read_text())
WEBHOOK_SECRET = "whsec_test_" + "a" * 32


def stripe_object(kind: str, **overrides) -> dict:
    """A copy of Stripe's example object of this kind, with some fields replaced."""
    obj = copy.deepcopy(FIXTURES[kind])
    obj.update(overrides)
    return obj


_counter = itertools.count(1)


def event(event_type: str, obj: dict, *, created: int | None = None, event_id: str = "") -> dict:
    body = stripe_object("event")
    body.update(
        id=event_id or f"evt_test_{next(_counter):06d}",
        type=event_type,
        created=created if created is not None else int(time.time()),
        data={"object": obj},
    )
    return body


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header, computed exactly as Stripe computes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class FakeStripe(stripe.HTTPClient):
    name = "fake-stripe"

    def __init__(self):
        super().__init__()
        self.requests: list[dict] = []
        self._idempotent: dict[str, tuple[str, int]] = {}
        self.objects: dict[str, dict] = {}
        self.fail_transfers_with: tuple[int, dict] | None = None

    # --- what the stripe library calls
    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlsplit(url).path
        params = dict(
            parse_qsl(post_data.decode() if isinstance(post_data, bytes) else post_data or "")
        )
        key = (headers or {}).get("Idempotency-Key", "")
        self.requests.append({"method": method, "path": path, "params": params, "key": key})
        if method == "post" and key and key in self._idempotent:
            body, status = self._idempotent[key]
            return body, status, {"Idempotent-Replayed": "true"}
        status, obj = self._answer(method, path, params)
        body = json.dumps(obj)
        if method == "post" and key and status < 500:
            self._idempotent[key] = (body, status)
        return body, status, {"Request-Id": f"req_{len(self.requests)}"}

    def close(self):
        pass

    # --- Stripe's side
    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{len(self.requests):04d}{next(_counter):06d}"

    def _answer(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        resource = "/".join(parts[:2]) if parts[0] in ("checkout", "billing_portal") else parts[0]
        object_id = parts[-1] if len(parts) > (2 if "/" in resource else 1) else ""
        if method == "get":
            if object_id in self.objects:
                return 200, self.objects[object_id]
            return 404, {"error": {"type": "invalid_request_error", "message": "No such object"}}
        maker = getattr(self, "_create_" + resource.replace("/", "_"))
        return maker(params)

    def _store(self, obj: dict) -> tuple[int, dict]:
        self.objects[obj["id"]] = obj
        return 200, obj

    def _create_customers(self, params):
        return self._store(stripe_object("customer", id=self._new_id("cus"),
                                         email=params.get("email")))  # fmt: skip

    def _create_checkout_sessions(self, params):
        session_id = self._new_id("cs")
        amount = params.get("line_items[0][price_data][unit_amount]")
        return self._store(
            stripe_object(
                "checkout.session",
                id=session_id,
                mode=params["mode"],
                url=f"https://checkout.stripe.com/c/pay/{session_id}",
                customer=params.get("customer"),
                amount_total=int(amount) if amount else 1000,
                payment_status="unpaid",
                status="open",
                payment_intent=None,
                metadata={"purpose": params.get("metadata[purpose]", "")},
            )
        )

    def _create_billing_portal_sessions(self, params):
        return self._store(stripe_object("billing_portal.session", id=self._new_id("bps"),
                                         customer=params["customer"]))  # fmt: skip

    def _create_accounts(self, params):
        return self._store(stripe_object("account", id=self._new_id("acct"),
                                         payouts_enabled=False))  # fmt: skip

    def _create_account_links(self, params):
        return 200, stripe_object(
            "account_link", url=f"https://connect.stripe.com/setup/{params['account']}"
        )

    def _create_transfers(self, params):
        if self.fail_transfers_with:
            return self.fail_transfers_with
        return self._store(
            stripe_object(
                "transfer",
                id=self._new_id("tr"),
                amount=int(params["amount"]),
                destination=params["destination"],
                amount_reversed=0,
                reversed=False,
            )
        )

    def transfers_made(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "post" and r["path"] == "/v1/transfers"]
