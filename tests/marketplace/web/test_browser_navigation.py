"""The site's header in Chromium for each kind of visitor: one row at desktop width, a menu
that folds it on a phone (a <details>, so it works without JavaScript), and the buyer's
Pipelines page leading to each pipeline page, its item marked current on all of them.
Checked with axe-core; screenshots of the header under var/screenshots/."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from marketplace.accounts import role_group
from marketplace.models import Notification, Role
from tests.marketplace.web.browser import DESKTOP, PHONE, axe_check, fits_the_width, shot_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# The pipeline pages a buyer reaches from the Pipelines page: link, then the page's heading.
PIPELINE_PAGES = [
    ("Manifests", "/manifests/", "Manifests"),
    ("WebDataset shards", "/shards/", "WebDataset shards"),
    ("Webhooks", "/account/webhooks/", "Webhooks"),
    ("API tokens", "/account/token/", "API tokens"),
]


def _sign_in(site, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    site.page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site.url}])


def _visitor(kind: str, make_user):
    """A signed-in account of this kind with a two-digit unread count (the widest badge), or
    None for someone not signed in."""
    if kind == "anonymous":
        return None
    roles = {
        "buyer": [Role.BUYER],
        "artist": [Role.RIGHTS_HOLDER],
        "moderator": [Role.MODERATOR],
        "artist-and-buyer": [Role.RIGHTS_HOLDER, Role.BUYER],
    }[kind]
    user = make_user(f"{kind}-with-a-long-name", role=roles[0], is_staff=kind == "moderator")
    user.groups.add(*(role_group(role) for role in roles[1:]))
    Notification.objects.bulk_create(
        Notification(user=user, kind="payout_sent", message=f"Notice {n}") for n in range(12)
    )
    return user


def _header_shot(site, name: str) -> None:
    shot_of(site.page.locator(".site-header"), site.test_name, name)


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not shown"
    return box


def _same_row(one: dict, other: dict) -> bool:
    return abs(one["y"] + one["height"] / 2 - other["y"] - other["height"] / 2) < 8


@pytest.mark.parametrize("kind", ["anonymous", "buyer", "artist", "moderator", "artist-and-buyer"])
def test_the_header_is_one_row_on_a_desktop_and_a_menu_on_a_phone(site, make_user, kind):
    user = _visitor(kind, make_user)
    if user:
        _sign_in(site, user)
    page = site.go("/search/")
    header = page.locator(".site-header")
    links = page.locator(".site-nav a")
    last = page.locator(".account-nav > li").last  # Sign out, or Create an account

    # Desktop: the brand, the first and the last item share one row.
    brand, first_box, last_box = _box(page.locator(".brand")), _box(links.first), _box(last)
    assert _same_row(brand, first_box) and _same_row(first_box, last_box), (first_box, last_box)
    if kind == "artist-and-buyer":
        # Both roles' links are too many for one row: the last ones wrap, under the first.
        assert not _same_row(first_box, _box(links.last))
    else:
        assert _same_row(first_box, _box(links.last))
        assert _box(header)["height"] < 70
    expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
    expect(links.first).to_have_attribute("aria-current", "page")  # Search
    axe_check(page)
    fits_the_width(page)
    _header_shot(site, "header-desktop")

    # Phone: the header is one short row, its links folded under "Menu" until opened.
    page.set_viewport_size(PHONE)
    menu = page.locator(".site-menu > summary")
    expect(menu).to_be_visible()
    expect(links.first).to_be_hidden()
    expect(last).to_be_hidden()
    assert _box(header)["height"] < 70
    if user:  # the unread count still shows on the folded menu
        expect(menu).to_contain_text("12")
    axe_check(page)
    fits_the_width(page)
    _header_shot(site, "header-phone")
    menu.click()
    for n in range(links.count()):
        expect(links.nth(n)).to_be_visible()
    expect(last).to_be_visible()
    axe_check(page)
    fits_the_width(page)
    _header_shot(site, "header-phone-open")
    # The opened menu's links work, and the next page starts with it folded again.
    page.get_by_role("link", name="Sources").click()
    expect(page).to_have_url(site.url + "/sources/")
    expect(page.locator(".site-menu > summary")).to_be_visible()
    expect(page.get_by_role("link", name="Sources")).to_be_hidden()  # folded again
    page.set_viewport_size(DESKTOP)


def test_the_pipelines_page_leads_to_each_pipeline_page_marked_current(site, make_user):
    _sign_in(site, make_user("bob", role=Role.BUYER))
    page = site.go("/")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Pipelines").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipelines")
    expect(nav.get_by_role("link", name="Pipelines")).to_have_attribute("aria-current", "page")
    for label, _, _ in PIPELINE_PAGES:  # the separate items are gone from the header
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(0)
    site.check("pipelines")
    content = page.locator("main")
    for label, path, heading in PIPELINE_PAGES:
        page.goto(site.url + "/pipelines/")
        content.get_by_role("link", name=label, exact=True).click()
        expect(page).to_have_url(site.url + path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(nav.get_by_role("link", name="Pipelines")).to_have_attribute("aria-current", "true")
        axe_check(page)


def test_a_buyer_reaches_a_pipeline_page_from_the_phone_menu(site, make_user):
    _sign_in(site, make_user("bob", role=Role.BUYER))
    page = site.go("/")
    page.set_viewport_size(PHONE)
    page.get_by_text("Menu", exact=True).click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipelines").click()
    page.locator("main").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    page.get_by_text("Menu", exact=True).click()
    pipelines = page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipelines")
    expect(pipelines).to_be_visible()
    expect(pipelines).to_have_attribute("aria-current", "true")
    axe_check(page)
    site.shot("phone-menu-on-webhooks")
