"""The Content Security Policy in a real browser: Chromium (Debian's, driven by Playwright)
opens the admin and the API docs on a live server and reports no policy violation, while
the pages still work (Swagger UI renders the operations, the admin signs in)."""

import os

import pytest
from playwright.sync_api import sync_playwright

from marketplace.models import Role
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db(transaction=True)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def chromium():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests
    # make meanwhile are plain synchronous ones.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Violations:
    """Policy violations a page reports: console messages and `securitypolicyviolation`
    events (collected by a script the browser itself injects, outside the policy)."""

    def __init__(self, page):
        self.page, self.console = page, []
        page.on("console", self._console)
        page.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation', e => "
            "window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def all(self) -> list[str]:
        return self.console + self.page.evaluate("window.__violations")


def test_the_api_docs_work_with_no_policy_violation(chromium, live_server):
    page = chromium.new_page()
    violations = Violations(page)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-tag", timeout=30_000)  # the operations, by tag
    page.locator(".opblock-summary").first.click()  # the UI reacts
    page.wait_for_selector(".opblock-body", timeout=10_000)
    assert violations.all() == []
    page.close()


def test_the_admin_works_with_no_policy_violation(chromium, live_server, make_user):
    make_user("mod", role=Role.MODERATOR, is_staff=True, is_superuser=True)
    asset = stored_asset()
    page = chromium.new_page()
    violations = Violations(page)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "mod")
    page.fill("#id_password", "a-long-passphrase")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    for path in (
        "/admin/moderation/reviewitem/",
        f"/admin/moderation/reviewitem/{asset.pk}/change/",
        f"/admin/catalog/asset/{asset.pk}/change/",
        "/admin/marketplace/user/add/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
    assert violations.all() == []
    page.close()


def test_the_browsable_api_has_no_policy_violation(chromium, live_server):
    asset = stored_asset()
    page = chromium.new_page()
    violations = Violations(page)
    for path in ("/api/v1/releases/", f"/api/v1/assets/{asset.pk}/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
    assert violations.all() == []
    page.close()


def test_a_page_breaking_the_policy_is_caught(chromium, live_server):
    """The check itself: an inline script on one of the site's pages is reported."""
    page = chromium.new_page()
    violations = Violations(page)
    page.goto(f"{live_server.url}/admin/login/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.x = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert any("script-src" in v for v in violations.all())
    page.close()
