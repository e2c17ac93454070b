"""Every 4xx has the same body, whether DRF, a service or Django itself refused."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory
from rest_framework import exceptions
from rest_framework.throttling import AnonRateThrottle

from common.errors import DomainError
from marketplace.api.errors import _validation_body, api_exception_handler, server_error

pytestmark = pytest.mark.django_db


def assert_error_body(response, status: int, code: str):
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_malformed_json_is_400(api_client):
    response = api_client.post(
        "/api/v1/auth/register/", data="{not json", content_type="application/json"
    )
    error = assert_error_body(response, 400, "parse_error")
    assert "JSON parse error" in error["message"]


def test_json_nested_too_deeply_is_a_400_not_a_crash(api_client):
    body = "[" * 100_000 + "]" * 100_000
    api_client.raise_request_exception = False
    response = api_client.post("/api/v1/auth/token/", data=body, content_type="application/json")
    error = assert_error_body(response, 400, "parse_error")
    assert "nested too deeply" in error["message"]


def test_unknown_api_url_is_a_json_404(api_client):
    error = assert_error_body(api_client.get("/api/v1/nothing-here/"), 404, "not_found")
    assert "/api/docs/" in error["message"]


def test_unknown_admin_url_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_wrong_method_is_405(api_client):
    assert_error_body(api_client.get("/api/v1/auth/register/"), 405, "method_not_allowed")


def test_unsupported_media_type_is_415(api_client):
    response = api_client.post("/api/v1/auth/token/", data="a=b", content_type="application/xml")
    assert_error_body(response, 415, "unsupported_media_type")


def test_anonymous_throttle_is_429(api_client, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "9/min"})
    codes = [api_client.get("/api/v1/assets/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert_error_body(api_client.get("/api/v1/assets/"), 429, "throttled")


def test_signed_file_links_have_their_own_rate(api_client, monkeypatch, make_user):
    from rest_framework.throttling import ScopedRateThrottle

    from marketplace.delivery import signed_link

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1/min", "user": "1/min"})
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"files": "3/min"})
    default_storage.save("exports/f.txt", ContentFile(b"x"))
    url = signed_link(key="exports/f.txt", seconds=60, filename="f.txt", mime_type="text/plain").url
    codes = [api_client.get(url).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # past the anonymous rate, up to the files rate
    refused = api_client.get(url)
    assert_error_body(refused, 429, "throttled")
    assert int(refused["Retry-After"]) > 0


def test_domain_errors_keep_their_code_status_and_fields():
    error = DomainError("No.", code="quota_exceeded", fields={"ids": ["too many"]})
    error.status_code = 409
    response = api_exception_handler(error, {})
    assert response.status_code == 409
    assert response.data == {
        "error": {"code": "quota_exceeded", "message": "No.", "fields": {"ids": ["too many"]}}
    }


def test_nested_validation_errors_get_dotted_field_names():
    body = _validation_body(
        {"items": [{}, {"price": ["Too high."]}], "non_field_errors": ["Pick one."]}
    )
    assert body == {
        "error": {
            "code": "invalid",
            "message": "Pick one.",
            "fields": {"items.1.price": ["Too high."]},
        }
    }


def test_validation_message_counts_other_fields():
    body = _validation_body({"a": ["Bad."], "b": ["Worse."], "c": ["Worst."]})
    assert body["error"]["message"] == "a: Bad. (and 2 more fields)"


def test_permission_denied_from_drf_has_its_code():
    response = api_exception_handler(exceptions.PermissionDenied(), {})
    assert response.status_code == 403
    assert response.data["error"]["code"] == "permission_denied"


def test_server_errors_under_the_api_are_json():
    response = server_error(RequestFactory().get("/api/v1/me/"))
    assert response.status_code == 500
    assert b'"server_error"' in response.content
