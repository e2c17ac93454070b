"""Buyers racing to download an opt-in work whose copy with its terms is not made yet:
each request makes it if it finds none, on its own connection, and one copy stands."""

import pytest
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from marketplace.models import DownloadGrant, OfferFile, Role
from tests.auth import token_for
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work
from tests.threads import in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_downloads_make_one_copy_and_all_serve_it(make_user):
    artist = make_user("painter", role=Role.RIGHTS_HOLDER)
    work = opt_in_work(artist, price_micros=9_000)
    OfferFile.objects.all().delete()  # as if the offer's task had not run yet
    buyers = [make_user(f"racer{i}", role=Role.BUYER) for i in range(6)]
    for buyer in buyers:
        fund(buyer, 1_000_000)
    tokens = [token_for(buyer) for buyer in buyers]

    def download(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[i]}")
        response = client.post("/api/v1/downloads/",
                               {"asset_ids": [work.asset_id], "purpose": "research"},
                               format="json")  # fmt: skip
        if response.status_code != 201:
            return response.status_code
        client.credentials()
        served = client.get(response.json()["downloads"][0]["url"])
        return b"".join(served.streaming_content)

    results = in_threads(len(buyers), download)
    made = OfferFile.objects.get(offer__work=work)  # exactly one
    with default_storage.open(made.key) as handle:
        copy = handle.read()
    assert results == [copy] * len(buyers), [r if isinstance(r, int | Exception) else len(r)
                                             for r in results]  # fmt: skip
    assert DownloadGrant.objects.filter(asset_id=work.asset_id).count() == len(buyers)
    assert b"DMI-ALLOWED" in copy
