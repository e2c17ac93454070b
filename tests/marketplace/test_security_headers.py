"""Browser-side protection: every HTML page the project serves answers with the Content
Security Policy and the other headers a site handling payments sends, and has nothing
inline that the policy would refuse (scripts, event handlers, style elements or style
attributes other than the few hashed ones of DRF's browsable API)."""

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client

from marketplace.models import Role
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db


class InlineContent(HTMLParser):
    """What a page has inline: scripts (data blocks aside), handlers, styles."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            kind = attrs.get("type", "text/javascript")
            self._in_script = "src" not in attrs and "json" not in kind
        if tag == "style":
            self.found.append("a <style> element")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f"an {name}= handler on <{tag}>")
            if name == "style" and not hashed(value):
                self.found.append(f"style={value!r} on <{tag}>")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"an inline script: {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def hashed(style: str) -> bool:
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    return f"'sha256-{digest}'" in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"]


@pytest.fixture
def staff_client(client, make_user):
    user = make_user("mod", role=Role.MODERATOR, is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def pages(asset_id: int) -> dict[str, str]:
    """Every kind of HTML page the project serves: path -> who asks (anonymous or staff)."""
    return {
        "/admin/login/": "anonymous",
        "/admin/": "staff",
        "/admin/moderation/reviewitem/": "staff",
        f"/admin/moderation/reviewitem/{asset_id}/change/": "staff",
        "/admin/moderation/flag/": "staff",
        "/admin/marketplace/user/": "staff",
        "/admin/marketplace/apitoken/": "staff",
        "/admin/otp_totp/totpdevice/": "staff",
        "/admin/axes/accessattempt/": "staff",
        "/api/docs/": "anonymous",
        # DRF's browsable API, a list and a detail with its extra action's menu:
        "/api/v1/releases/": "anonymous",
        f"/api/v1/assets/{asset_id}/": "anonymous",
        "/no-such-page/": "anonymous",
    }


def test_every_html_page_answers_with_the_policy_and_nothing_inline(client, staff_client):
    asset_id = stored_asset().pk
    anonymous = Client()
    for path, who in pages(asset_id).items():
        response = (staff_client if who == "staff" else anonymous).get(
            path, HTTP_ACCEPT="text/html"
        )
        assert response.status_code in (200, 404), (path, response.status_code)
        assert response["Content-Type"].startswith("text/html"), path
        policy = dict(
            directive.strip().partition(" ")[::2]
            for directive in response["Content-Security-Policy"].split(";")
        )
        assert policy["script-src"] == "'self'", path
        assert "unsafe-inline" not in response["Content-Security-Policy"], path
        assert (policy["frame-ancestors"], policy["object-src"]) == ("'none'", "'none'"), path
        assert "camera=()" in response["Permissions-Policy"], path
        assert response["Referrer-Policy"] == "same-origin", path
        assert response["X-Frame-Options"] == "DENY", path
        assert response["X-Content-Type-Options"] == "nosniff", path
        parser = InlineContent()
        parser.feed(response.content.decode())
        assert parser.found == [], (path, parser.found)


def test_the_api_docs_load_their_start_up_script_as_a_file(client):
    page = client.get("/api/docs/").content.decode()
    script = re.search(r'<script src="([^"]*\?[^"]*script[^"]*)"', page).group(1)
    response = client.get(script.replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in response.content


def test_the_api_answers_as_before(client):
    response = client.get("/api/v1/releases/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
