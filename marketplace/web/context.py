"""What every page's layout needs: the navigation (the public catalog's pages, then those of
the person's roles) and their unread notifications."""

from dataclasses import dataclass, replace

from django.urls import reverse

from marketplace.models import Role
from marketplace.selectors import notifications_unread_count


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    # Other pages that belong to this item: under the path of the item or of these, it is
    # marked current (a group's pages, an item's sub-pages).
    covers: tuple[str, ...] = ()
    # aria-current: "page" on its own page, "true" on a page it covers, "" elsewhere.
    current: str = ""


def _public_nav() -> list[NavItem]:
    return [
        NavItem("Search", reverse("web:search")),
        NavItem("Sources", reverse("web:sources")),
        NavItem("Releases", reverse("web:releases")),
    ]


def _role_nav(roles: set[str]) -> list[NavItem]:
    nav = []
    if Role.BUYER in roles:
        nav += [
            NavItem("Collections", reverse("web:collections")),
            NavItem("Licenses", reverse("web:licenses")),
            # One item for the pages that feed a training pipeline, so that the header
            # holds one row: each is a link on the Pipelines page.
            NavItem(
                "Pipelines",
                reverse("web:pipelines"),
                covers=(
                    reverse("web:manifests"),
                    reverse("web:shard-exports"),
                    reverse("web:webhooks"),
                    reverse("web:token"),
                ),
            ),
            NavItem("Wallet and plan", reverse("web:wallet")),
        ]
    if Role.RIGHTS_HOLDER in roles:
        nav += [
            NavItem("My works", reverse("web:works")),
            NavItem("Upload", reverse("web:upload")),
            NavItem("Earnings", reverse("web:earnings")),
            NavItem("Payouts", reverse("web:payouts")),
        ]
    if Role.BUYER not in roles:  # a buyer's tokens are under Pipelines
        nav.append(NavItem("API tokens", reverse("web:token")))
    return nav


def _mark_current(nav: list[NavItem], path: str) -> list[NavItem]:
    """The item whose path (or a covered one) is the longest start of this page's path is
    current: /works/upload/ is Upload's, /works/7/ is My works'."""
    best, best_length = None, 0
    for item in nav:
        for start in (item.href, *item.covers):
            if path.startswith(start) and len(start) > best_length:
                best, best_length = item, len(start)
    return [
        replace(item, current="page" if path == item.href else "true") if item is best else item
        for item in nav
    ]


def site(request) -> dict:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    nav = _public_nav() + (_role_nav(set(user.roles)) if signed_in else [])
    if signed_in and user.is_staff:  # moderators' work is in the admin: one click away
        nav.append(NavItem("Moderation", reverse("admin:index")))
    return {
        "site_nav": _mark_current(nav, request.path),
        "unread_notifications": notifications_unread_count(user) if signed_in else 0,
    }
