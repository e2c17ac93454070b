"""The pages the journey does not pass through, checked with axe-core in Chromium at desktop
and phone width: errors, notices, the token page, a held work, a rejected declaration."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect
from rest_framework.throttling import ScopedRateThrottle

from marketplace.models import Notification, OwnershipDeclaration, Role, Work
from marketplace.models.works import HoldReason
from tests.marketplace.factories import opt_in_work

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _sign_in(site, user) -> None:
    """Share a signed-in Django session with the browser."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    site.page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site.url}])


def test_rights_holder_pages_in_other_states(site, rights_holder):
    held = opt_in_work(rights_holder, offered=False)
    Work.objects.filter(pk=held.pk).update(hold=HoldReason.MATCHES_BASE_SET)
    OwnershipDeclaration.objects.filter(work=held).update(
        state="rejected", decision_note="The signature differs from your other works."
    )
    Notification.objects.create(
        user=rights_holder, kind="declaration_rejected", asset_id=held.asset_id,
        message="A moderator rejected your ownership declaration.",
    )  # fmt: skip
    _sign_in(site, rights_holder)

    page = site.go(f"/works/{held.pk}/")
    expect(page.locator(".status")).to_have_text("Held for review")
    expect(page.get_by_text("The signature differs")).to_be_visible()
    site.check("held-work")
    page.get_by_role("link", name="Declare again").click()
    site.check("declare-again")
    page = site.go("/works/?state=published")
    expect(page.get_by_text("No works match.")).to_be_visible()
    site.check("works-none-match")
    page = site.go("/notifications/")
    page.get_by_role("link", name="Open the work").click()
    expect(page).to_have_url(f"{site.url}/works/{held.pk}/")
    site.go("/notifications/")
    site.check("notifications")
    site.go("/account/token/")
    site.check("token")
    page = site.go("/earnings/")
    expect(page.get_by_text("No downloads yet.")).to_be_visible()
    site.check("earnings-empty")
    page = site.go("/no-such-page/")
    expect(page.get_by_role("heading", level=1)).to_have_text("We can't find that page")
    site.check("not-found")


def test_a_buyer_is_told_which_pages_are_not_for_them(site, make_user):
    _sign_in(site, make_user("bob", role=Role.BUYER))
    page = site.go("/works/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This page is not open to you")
    site.check("forbidden")


def test_too_many_sign_in_attempts_say_when_to_try_again(site, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "1/min"})
    page = site.go("/sign-in/")
    for _ in range(2):
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts")
    expect(page.get_by_text("Please try again in")).to_be_visible()
    site.check("throttled")


def test_images_dropped_on_the_page_are_uploaded(site, rights_holder):
    from tests.catalog.images import jpeg

    _sign_in(site, rights_holder)
    page = site.go("/works/upload/")
    dropped = page.evaluate_handle(
        """(bytes) => {
            const files = new DataTransfer();
            files.items.add(new File([new Uint8Array(bytes)], "dropped-sunset.jpg",
                                     {type: "image/jpeg"}));
            return files;
        }""",
        list(jpeg(21, size=(400, 300))),
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": dropped})
    expect(page.locator(".upload-item")).to_have_count(1)
    expect(page.get_by_label("Title")).to_have_value("dropped sunset")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("heading", name="My works")).to_be_visible()
    expect(page.get_by_role("link", name="dropped sunset")).to_be_visible()
    assert Work.objects.get().asset.title == "dropped sunset"


def _focused(page):
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (el === document.body) {
                return ["(the browser)", "n/a", 0];  // focus went past the page's end
            }
            const style = getComputedStyle(el);
            return [el.textContent.trim() || el.name || el.id, style.outlineStyle,
                    parseFloat(style.outlineWidth)];
        }"""
    )


def test_the_keyboard_reaches_every_control_with_a_visible_focus(site, make_user):
    make_user("ada", role=Role.RIGHTS_HOLDER)
    page = site.go("/sign-in/")
    assert _focused(page)[0] == "username"  # the form starts focused
    focused = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused.append(_focused(page))
    names = [name for name, _, _ in focused]
    for control in ("password", "Sign in", "Forgot your password?", "Skip to the content"):
        assert control in names, names
    on_page = [item for item in focused if item[0] != "(the browser)"]
    assert all(style != "none" and width >= 2 for _, style, width in on_page), on_page
    # The skip link takes keyboard users past the navigation.
    page.goto(site.url + "/sign-in/")
    for _ in range(10):  # back past the header's links
        page.keyboard.press("Shift+Tab")
        if _focused(page)[0] == "Skip to the content":
            break
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # Signing in with the keyboard alone.
    page.goto(site.url + "/sign-in/")
    page.keyboard.type("ada")
    page.keyboard.press("Tab")
    page.keyboard.type("a-long-passphrase")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My works")).to_be_visible()
