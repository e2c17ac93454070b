"""Registering, signing in with a token or a session, rotating the token, /me."""

import pytest
from django.http import HttpRequest
from rest_framework.throttling import ScopedRateThrottle

from marketplace.models import ApiToken, Role, User
from marketplace.tokens import token_digest
from tests.auth import token_for

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
ROTATE = "/api/v1/auth/token/rotate/"
ME = "/api/v1/me/"


def register(client, **overrides):
    payload = {
        "username": "ada",
        "email": "ada@example.org",
        "password": "correct horse battery",
        "role": "buyer",
    }
    payload.update(overrides)
    return client.post(REGISTER, payload, format="json")


@pytest.mark.parametrize("role", ["buyer", "rights_holder"])
def test_register_gives_the_chosen_role_and_a_working_token(api_client, role):
    response = register(api_client, role=role)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["username"] == "ada"
    assert body["user"]["roles"] == [role]
    assert "password" not in body["user"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']['token']}")
    me = api_client.get(ME)
    assert me.status_code == 200
    assert me.json()["roles"] == [role]
    assert me.json()["email"] == "ada@example.org"


def test_register_cannot_choose_moderator(api_client):
    response = register(api_client, role="moderator")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "role" in response.json()["error"]["fields"]
    assert not User.objects.exists()


def test_register_refuses_a_taken_username_in_any_case(api_client, make_user):
    make_user("Ada")
    response = register(api_client, username="ada", email="other@example.org")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_exists"
    assert list(response.json()["error"]["fields"]) == ["username"]
    assert User.objects.count() == 1


def test_register_refuses_a_taken_email_in_any_case(api_client, make_user):
    make_user("someone", email="ADA@example.org")
    response = register(api_client)
    assert response.status_code == 409
    assert list(response.json()["error"]["fields"]) == ["email"]


def test_register_refuses_a_weak_password(api_client):
    response = register(api_client, password="12345678")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "weak_password"
    assert any("too common" in message for message in error["fields"]["password"])
    assert not User.objects.exists()


def test_register_names_every_missing_field(api_client):
    response = api_client.post(REGISTER, {}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error["fields"]) == {"username", "email", "password", "role"}
    assert error["message"].startswith("username: This field is required.")


def test_obtain_token_with_password(api_client, make_user):
    user = make_user("ada")
    response = api_client.post(
        TOKEN, {"username": "ada", "password": "a-long-passphrase"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("mkt_") and body["scope"] == "manage"
    stored = ApiToken.objects.get(user=user)
    assert stored.digest == token_digest(body["token"]) and stored.prefix == body["prefix"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api_client.get(ME).json()["username"] == "ada"


def test_obtain_token_with_a_wrong_password_is_refused(api_client, make_user):
    make_user("ada")
    response = api_client.post(TOKEN, {"username": "ada", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert not ApiToken.objects.exists()


def test_rotating_the_token_revokes_the_old_one(api_client, make_user):
    user = make_user("ada")
    old = token_for(user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    response = api_client.post(ROTATE)
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old

    assert api_client.get(ME).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert api_client.get(ME).json()["username"] == "ada"


def test_me_without_credentials_is_401_with_the_error_body(api_client):
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
            "fields": {},
        }
    }


def test_session_authentication_works_too(api_client, make_user):
    make_user("mod", role=Role.MODERATOR)
    assert api_client.login(request=HttpRequest(), username="mod", password="a-long-passphrase")
    assert api_client.get(ME).json()["roles"] == ["moderator"]


def test_sign_in_is_rate_limited(api_client, make_user, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    make_user("ada")
    statuses = [
        api_client.post(TOKEN, {"username": "ada", "password": "guess"}, format="json")
        for _ in range(4)
    ]
    assert [r.status_code for r in statuses] == [400, 400, 400, 429]
    assert statuses[-1].json()["error"]["code"] == "throttled"
    assert int(statuses[-1]["Retry-After"]) > 0
