"""Staff sign-in: a second factor for the admin where STAFF_REQUIRE_2FA is on (always in
production), enrolled with `enrol_staff_otp`; and the lockout after repeated failed
sign-ins, on the admin and the API, recorded in the audit log."""

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace.models import Role
from provenance.models import EventKind, ProvenanceEvent

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "a-long-passphrase"


@pytest.fixture
def moderator(make_user):
    return make_user("mod", role=Role.MODERATOR, is_staff=True)


@pytest.fixture
def two_factor(settings):
    settings.STAFF_REQUIRE_2FA = True


def enrol(username: str, *args) -> str:
    out = io.StringIO()
    call_command("enrol_staff_otp", username, *args, stdout=out)
    return out.getvalue()


def current_code(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def admin_sign_in(client, username, password=PASSWORD, otp_token=None):
    data = {"username": username, "password": password, "next": "/admin/"}
    if otp_token is not None:
        data["otp_token"] = otp_token
    return client.post(LOGIN, data)


def test_production_settings_require_a_second_factor_for_staff(subprocess_env):
    env = {
        **subprocess_env,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "market.example.org",
        "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db",
        "STRIPE_SECRET_KEY": "sk_test_x",
        "STRIPE_WEBHOOK_SECRET": "whsec_x",
        "STRIPE_CURATION_PRICE_ID": "price_x",
        "RECEIPT_KEY_SECRET": "r" * 40,
        "STAFF_REQUIRE_2FA": "false",  # production does not let it be turned off
    }
    code = "from django.conf import settings; print(settings.STAFF_REQUIRE_2FA)"
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env, cwd=Path(django_settings.BASE_DIR), capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "True"


def test_without_a_second_factor_staff_cannot_reach_the_admin(client, moderator, two_factor):
    response = admin_sign_in(client, "mod")
    assert response.status_code == 200  # the sign-in form again, with an error
    assert "_auth_user_id" not in client.session
    # Even a session signed in by password elsewhere does not reach the admin.
    client.force_login(moderator)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_with_the_authenticator_code_staff_reach_the_admin(client, moderator, two_factor):
    output = enrol("mod")
    assert "otpauth://totp/" in output and "secret=" in output
    response = admin_sign_in(client, "mod", otp_token=current_code(moderator))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_and_slows_the_next_tries(client, moderator, two_factor):
    enrol("mod")
    wrong = f"{(int(current_code(moderator)) + 1) % 1_000_000:06d}"
    assert admin_sign_in(client, "mod", otp_token=wrong).status_code == 200
    assert TOTPDevice.objects.get(user=moderator).throttling_failure_count == 1
    # Even the right code waits out the delay that grows with each failure.
    assert admin_sign_in(client, "mod", otp_token=current_code(moderator)).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_a_recovery_code_works_once(client, moderator, two_factor):
    output = enrol("mod")
    codes = re.findall(r"^  (\w+)$", output, flags=re.MULTILINE)
    assert len(codes) == 10
    assert admin_sign_in(client, "mod", otp_token=codes[0]).status_code == 302
    client.logout()
    assert admin_sign_in(client, "mod", otp_token=codes[1]).status_code == 302
    client.logout()
    assert admin_sign_in(client, "mod", otp_token=codes[0]).status_code == 200


def test_enrolling_again_needs_replace_and_is_audited(moderator, make_user):
    enrol("mod")
    with pytest.raises(CommandError, match="already has a second factor"):
        enrol("mod")
    enrol("mod", "--replace")
    assert TOTPDevice.objects.filter(user=moderator).count() == 1
    events = ProvenanceEvent.objects.filter(kind=EventKind.STAFF_OTP_ENROLLED)
    assert [e.data["replaced"] for e in events.order_by("pk")] == [False, True]
    make_user("buyer", role=Role.BUYER)
    with pytest.raises(CommandError, match="not a staff account"):
        enrol("buyer")


def test_the_demo_moderator_reaches_the_admin_with_a_password_only(client, moderator):
    assert not django_settings.STAFF_REQUIRE_2FA  # the demo's and the tests' default
    assert admin_sign_in(client, "mod").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_repeated_failures_lock_the_admin_sign_in_out_and_are_audited(client, moderator, settings):
    settings.AXES_FAILURE_LIMIT = 3
    statuses = [admin_sign_in(client, "mod", password="wrong").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    locked = admin_sign_in(client, "mod")  # the right password, during the lockout
    assert locked.status_code == 429
    assert b"Try again in 15 minutes." in locked.content
    assert "_auth_user_id" not in client.session
    event = ProvenanceEvent.objects.get(kind=EventKind.ACCOUNT_LOCKED_OUT)
    assert event.actor == "mod" and event.data["ip_address"] == "127.0.0.1"


def test_repeated_failures_lock_the_api_sign_in_out(api_client, moderator, settings):
    settings.AXES_FAILURE_LIMIT = 2
    attempt = {"username": "mod", "password": "wrong"}
    first = api_client.post("/api/v1/auth/token/", attempt, format="json")
    assert first.json()["error"]["code"] == "invalid_credentials"
    second = api_client.post("/api/v1/auth/token/", attempt, format="json")
    assert second.status_code == 429
    assert second.json()["error"]["code"] == "locked_out"
    assert int(second["Retry-After"]) == 15 * 60
    right = api_client.post("/api/v1/auth/token/", {**attempt, "password": PASSWORD},
                            format="json")  # fmt: skip
    assert right.status_code == 429
    assert ProvenanceEvent.objects.filter(kind=EventKind.ACCOUNT_LOCKED_OUT).count() == 1
