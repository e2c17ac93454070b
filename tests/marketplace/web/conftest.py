"""Fixtures of the web page tests: signed-in clients of each role."""

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
