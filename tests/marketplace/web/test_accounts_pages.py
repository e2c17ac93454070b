"""Sign up, sign in, the shared auth throttle, CSRF and the API token page."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from marketplace.models import ApiToken, Role, User

pytestmark = pytest.mark.django_db

SIGN_UP = {
    "role": "rights_holder",
    "username": "ada",
    "email": "ada@example.org",
    "password": "a painter's long passphrase",
}


def test_signing_up_as_a_rights_holder_signs_in_and_opens_the_works(client):
    response = client.post("/sign-up/", SIGN_UP)
    assert response.status_code == 302
    assert response["Location"] == "/works/"
    user = User.objects.get(username="ada")
    assert user.roles == ["rights_holder"]
    page = client.get("/works/")
    assert page.status_code == 200
    assert b"You have not uploaded any works yet." in page.content


def test_a_buyer_signs_up_too_and_gets_no_rights_holder_pages(client):
    client.post("/sign-up/", {**SIGN_UP, "role": "buyer"})
    assert User.objects.get(username="ada").roles == ["buyer"]
    page = client.get("/works/")
    assert page.status_code == 403
    assert b"This page is for rights holder accounts." in page.content


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"username": "Taken"}, b"This username is already taken."),
        ({"email": "TAKEN@example.org"}, b"An account with this email address already exists."),
        ({"password": "password"}, b"This password is too common."),
        ({"role": "moderator"}, b"Select a valid choice."),
    ],
)
def test_sign_up_refusals_are_said_on_the_form(client, make_user, change, message):
    make_user("taken", email="taken@example.org")
    response = client.post("/sign-up/", {**SIGN_UP, **change})
    assert response.status_code == 400
    assert message in response.content
    assert not User.objects.filter(username=SIGN_UP["username"]).exists()


def test_sign_in_and_out(client, make_user):
    make_user("ada", role=Role.RIGHTS_HOLDER)
    wrong = client.post("/sign-in/", {"username": "ada", "password": "nope"})
    assert b"do not match an account" in wrong.content
    right = client.post("/sign-in/", {"username": "ada", "password": "a-long-passphrase"})
    assert right["Location"] == "/works/"
    assert client.get("/sign-out/").status_code == 405  # signing out is a POST (CSRF)
    assert client.post("/sign-out/")["Location"] == "/"
    assert client.get("/works/")["Location"].startswith("/sign-in/?next=/works/")


def test_sign_in_attempts_share_the_api_rate_and_the_page_says_when_to_retry(client, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    for _ in range(2):
        assert client.post("/sign-in/", {"username": "x", "password": "y"}).status_code == 200
    api = APIClient().post("/api/v1/auth/token/", {"username": "x", "password": "y"})
    assert api.status_code == 400  # the third attempt, through the API
    refused = client.post("/sign-in/", {"username": "x", "password": "y"})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert b"Please try again in" in refused.content
    assert client.post("/sign-up/", SIGN_UP).status_code == 429
    assert client.get("/sign-in/").status_code == 200  # reading the form is not an attempt


def test_forms_without_a_csrf_token_are_refused_in_the_sites_words(make_user):
    make_user("ada", role=Role.RIGHTS_HOLDER)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/sign-in/", {"username": "ada", "password": "a-long-passphrase"})
    assert response.status_code == 403
    assert b"Please send the form again" in response.content


def test_the_token_page_creates_a_scoped_token_shown_once_and_revokes_it(artist_client):
    created = artist_client.post(
        "/account/token/", {"name": "training job", "scope": "download", "expires_in_days": 30}
    )
    assert created.status_code == 201
    clear = re.search(rb'id="api-token">([^<]+)<', created.content).group(1).decode()
    record = ApiToken.objects.get(name="training job")
    assert (record.scope, clear.startswith(record.prefix)) == ("download", True)
    assert record.digest != clear and clear not in str(list(ApiToken.objects.values()))
    page = artist_client.get("/account/token/")
    assert b"training job" in page.content and clear.encode() not in page.content  # once only

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {clear}")
    assert api.get("/api/v1/me/").status_code == 200
    revoked = artist_client.post(f"/account/token/{record.pk}/revoke/", follow=True)
    assert "The token “training job” is revoked".encode() in revoked.content
    assert api.get("/api/v1/me/").status_code == 401


def test_the_token_form_says_what_is_wrong(artist_client, settings):
    response = artist_client.post(
        "/account/token/",
        {"name": "", "scope": "everything", "expires_in_days": settings.API_TOKEN_MAX_DAYS + 1},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required." in body
    assert "Select a valid choice." in body
    assert f"less than or equal to {settings.API_TOKEN_MAX_DAYS}" in body
    assert not ApiToken.objects.exists()
    other = artist_client.post("/account/token/999/revoke/", follow=True)
    assert b"You have no token with this id." in other.content


def test_error_pages_are_the_sites_and_api_errors_stay_json(client, buyer_client, monkeypatch):
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert b"find that page" in missing.content
    api = client.get("/api/v1/no-such-endpoint/")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"

    def broken(limit):
        raise RuntimeError("storage fell over")

    monkeypatch.setattr("marketplace.web.home.published_with_thumbnails", broken)
    crashing = Client(raise_request_exception=False)
    crashed = crashing.get("/")
    assert crashed.status_code == 500
    assert b"Something went wrong on our side" in crashed.content
