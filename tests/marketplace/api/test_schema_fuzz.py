"""The API answers as its own OpenAPI schema says, under a property-based fuzzer.

Schemathesis reads the schema the site serves and sends generated requests, valid and
invalid ones, to every operation, in process through the WSGI application, as three kinds of
client: anonymous, a buyer with a `manage` token and a rights holder with one. Each answer
must pass the checks below: no 5xx, a documented status, the documented content type and
body, and invalid input refused. The examples are derandomized (the same cases on every
run) and bounded so the suite stays quick; `make fuzz` runs many more (FUZZ_EXAMPLES), drawn
anew on each run."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from marketplace.models import Role
from tests.auth import token_for
from tests.marketplace.api.schema_helpers import served_schema
from tests.marketplace.factories import opt_in_work, stored_asset

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"  # `make fuzz`: new examples on every run
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
ROLES = {"anonymous": None, "buyer": Role.BUYER, "rights_holder": Role.RIGHTS_HOLDER}


schema = schemathesis.openapi.from_dict(served_schema())
schema.app = get_wsgi_application()


@pytest.fixture(autouse=True)
def _in_process_requests(db):
    """Requests run inside the test's transaction: the WSGI handler must not close the
    test's database connection at the end of each request (Django's test client does the
    same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth_headers(role, make_user) -> dict:
    """Some catalog to find, and the role's token (none for an anonymous client)."""
    artist = make_user("fuzz-artist", role=Role.RIGHTS_HOLDER)
    opt_in_work(artist, price_micros=20_000)
    for _ in range(3):
        stored_asset()
    if ROLES[role] is None:
        return {}
    user = artist if ROLES[role] == Role.RIGHTS_HOLDER else make_user(role, role=ROLES[role])
    return {"Authorization": f"Token {token_for(user)}"}


@schema.parametrize()
@pytest.mark.parametrize("role", list(ROLES))
@settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_its_schema_says(case, role, auth_headers):
    case.call_and_validate(headers=auth_headers, checks=CHECKS)
