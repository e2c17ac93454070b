"""Fixtures of the web page tests: signed-in clients of each role."""

import os

import pytest
from django.test import Client

from marketplace.models import Role
from tests.marketplace.works_helpers import artist


@pytest.fixture
def rights_holder(make_user):
    return artist(make_user, "ada", display_name="Ada Lovelace")


@pytest.fixture
def artist_client(rights_holder) -> Client:
    client = Client()
    client.force_login(rights_holder)
    return client


@pytest.fixture
def buyer_client(make_user) -> Client:
    client = Client()
    client.force_login(make_user("bob", role=Role.BUYER))
    return client


@pytest.fixture
def buyer(make_user):
    return make_user("bea", role=Role.BUYER)


@pytest.fixture
def bea(buyer) -> Client:
    """The buyer `bea`, signed in (`buyer_client` is another buyer, `bob`)."""
    client = Client()
    client.force_login(buyer)
    return client


# --- browser tests -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright(django_db_setup):
    """Playwright's sync API keeps an event loop running in this thread from its start to
    the end of the session, and Django refuses database calls from a thread with a running
    loop. So the test database is set up first, and the guard is off from here on: the
    suite runs the browser tests last (tests/conftest.py), so only they run without it."""
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    from tests.marketplace.web.browser import CHROMIUM, CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    from tests.marketplace.web.browser import DESKTOP

    return {**browser_context_args, "viewport": DESKTOP, "locale": "en-US"}


# The site's pages must work under a Content Security Policy of 'self' only: no inline
# scripts, event handlers or styles. The browser tests serve every page with this policy
# and fail on anything it refuses.
STRICT_CSP = "default-src 'self'; object-src 'none'; base-uri 'self'"


@pytest.fixture
def site(live_server, page, request):
    """A browser page (a fresh context per test) on the live server."""
    from playwright.sync_api import Error as PlaywrightError

    from tests.marketplace.web.browser import Site

    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    def with_policy(route):
        if route.request.method != "GET":  # forms and uploads go through untouched
            route.continue_()
            return
        try:
            response = route.fetch(max_redirects=0)
            headers = {**response.headers}
            if headers.get("content-type", "").startswith("text/html"):
                headers["content-security-policy"] = STRICT_CSP
            route.fulfill(response=response, headers=headers)
        except PlaywrightError:
            # The test ended while an image was still loading (its context is closed): no
            # page is left to serve, and the error must not surface in the next test.
            return

    page.route(live_server.url + "/**", with_policy)
    page.set_default_timeout(15_000)
    site = Site(page, live_server.url, request.node.name)
    yield site
    site.shot("last-page")  # whatever the test ended on, for a reviewer to look at
    assert not refused, refused
