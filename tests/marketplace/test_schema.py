"""The OpenAPI schema is generated without warnings and documents every endpoint's errors."""

import io

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PROBES = {"/healthz", "/readyz"}


@pytest.fixture(scope="module")
def schema() -> dict:
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return yaml.safe_load(out.getvalue())


def test_schema_lists_every_endpoint(schema):
    assert {
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/rotate/",
        "/api/v1/me/",
        "/api/v1/assets/",
        "/api/v1/assets/{id}/",
        "/api/v1/billing/wallet/",
        "/api/v1/billing/top-ups/",
        "/api/v1/billing/statement/",
        "/api/v1/billing/earnings/",
        "/api/v1/billing/payouts/",
        "/api/v1/billing/stripe/webhook/",
        *PROBES,
    } <= set(schema["paths"])


def test_every_api_operation_documents_its_error_body(schema):
    for path, operations in schema["paths"].items():
        if path in PROBES:
            continue
        for method, operation in operations.items():
            error_refs = [
                response["content"]["application/json"]["schema"].get("$ref", "")
                for status, response in operation["responses"].items()
                if status.startswith("4")
            ]
            assert error_refs, f"{method.upper()} {path} documents no 4xx response"
            assert all(ref.endswith("/Error") for ref in error_refs), (method, path)
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"


def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html  # the docs work without internet access


def test_answers_about_assets_document_their_tdmrep_headers(schema):
    answers = {
        ("/api/v1/assets/{id}/", "get", "200"),
        ("/api/v1/downloads/", "post", "201"),
        ("/api/v1/files/{token}/", "get", "200"),
    }
    for path, method, status in answers:
        headers = schema["paths"][path][method]["responses"][status]["headers"]
        assert {"tdm-reservation", "tdm-policy"} <= set(headers), (path, method)
