"""What every page's layout needs: the navigation (the public catalog's pages, then those of
the person's roles) and their unread notifications."""

from django.urls import reverse

from marketplace.models import Role
from marketplace.selectors import notifications_unread_count


def _public_nav() -> list[tuple[str, str]]:
    return [
        ("Search", reverse("web:search")),
        ("Sources", reverse("web:sources")),
        ("Releases", reverse("web:releases")),
    ]


def site(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"site_nav": _public_nav(), "unread_notifications": 0}
    roles = set(user.roles)
    nav = _public_nav()
    if Role.BUYER in roles:
        nav += [
            ("Collections", reverse("web:collections")),
            ("Licenses", reverse("web:licenses")),
            ("Manifests", reverse("web:manifests")),
            ("Shards", reverse("web:shard-exports")),  # WebDataset shards: the page says
            ("Wallet and plan", reverse("web:wallet")),
            ("Webhooks", reverse("web:webhooks")),
        ]
    if Role.RIGHTS_HOLDER in roles:
        nav += [
            ("My works", reverse("web:works")),
            ("Upload", reverse("web:upload")),
            ("Earnings", reverse("web:earnings")),
            ("Payouts", reverse("web:payouts")),
        ]
    nav.append(("API tokens", reverse("web:token")))
    return {"site_nav": nav, "unread_notifications": notifications_unread_count(user)}
