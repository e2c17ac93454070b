"""Links to the sandbox gateway's pages (billing.sandbox). Like Stripe's, each link is its
own credential: signed, naming the one checkout, customer or account it is for."""

from django.core import signing
from django.urls import reverse

SALT = "billing.sandbox"
LINK_SECONDS = 24 * 3600  # as long as a Stripe Checkout Session stays open
# The page each kind of link opens.
ROUTES = {
    "top_up": "billing-sandbox-checkout",
    "subscription": "billing-sandbox-checkout",
    "portal": "billing-sandbox-portal",
    "connect": "billing-sandbox-connect",
}


def sandbox_link(kind: str, *, object_id: str, return_url: str, cancel_url: str = "") -> str:
    """The path of the sandbox page for a top-up checkout (by session id), a Curation
    checkout or portal (by customer id) or Connect onboarding (by account id); completing
    it sends the person to `return_url`, leaving it to `cancel_url`."""
    claims = {"k": kind, "o": object_id, "r": return_url, "c": cancel_url or return_url}
    return reverse(ROUTES[kind], args=[signing.dumps(claims, salt=SALT)])


def sandbox_link_claims(*, route: str, token: str) -> dict | None:
    """What a link names, or None when it is forged, expired or for another page."""
    try:
        claims = signing.loads(token, salt=SALT, max_age=LINK_SECONDS)
    except signing.BadSignature:  # SignatureExpired included
        return None
    return claims if ROUTES.get(claims.get("k")) == route else None
