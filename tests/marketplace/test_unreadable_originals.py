"""An opt-in work whose stored original can no longer be read (damaged or gone on disk
after it was offered) cannot get its copy with the terms: licensing it is refused with a
409 `stored_file_unreadable` that says so, on the API and the licensing page, with nothing
granted, charged or counted; the rest of a selection goes through with skip_unavailable;
the moderators find it in the audit log; and the task that makes the copy gives up
instead of failing again and again."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from billing.selectors import buyer_quota, wallet_balance
from marketplace.models import DownloadGrant, OfferFile, Role
from marketplace.served import UNREADABLE, offer_files_remake
from marketplace.tasks import make_offer_file
from provenance.models import EventKind, ProvenanceEvent
from tests.auth import sign_in
from tests.billing.conftest import fund
from tests.marketplace.factories import stored_asset
from tests.marketplace.test_served_terms import download, offered_work

pytestmark = pytest.mark.django_db

FUNDS = 1_000_000


@pytest.fixture
def artist(make_user):
    return make_user("ada", role=Role.RIGHTS_HOLDER)


@pytest.fixture
def buyer(make_user):
    return make_user("bob", role=Role.BUYER)


def damage(key: str, data: bytes = b"these bytes are no longer a picture") -> None:
    """Overwrite the stored original on disk (local storage), as a bad disk or a bad copy
    would."""
    Path(default_storage.path(key)).write_bytes(data)


def broken_work(artist, seed: int = 31):
    work = offered_work(artist, "JPEG", seed=seed)  # the copy's task has not run yet
    assert not OfferFile.objects.filter(offer__work=work).exists()
    damage(work.asset.original_key)
    return work


def reports(asset_id: int) -> list[ProvenanceEvent]:
    """What the moderators see in the audit log (admin: provenance events, by reason)."""
    return list(
        ProvenanceEvent.objects.filter(
            asset_id=asset_id, kind=EventKind.CLONE_FAILED, reason=UNREADABLE
        )
    )


def assert_untouched(buyer) -> None:
    assert wallet_balance(buyer) == FUNDS
    assert buyer_quota(buyer).used == 0
    assert not DownloadGrant.objects.filter(buyer=buyer).exists()


def test_the_api_refuses_a_work_whose_file_cannot_be_read_and_charges_nothing(
    api_client, artist, buyer
):
    work = broken_work(artist)
    fund(buyer, FUNDS)
    sign_in(api_client, buyer)
    response = download(api_client, [work.asset_id])
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "stored_file_unreadable"
    assert error["fields"] == {str(work.asset_id): ["stored_file_unreadable"]}
    assert f"Asset {work.asset_id} cannot be delivered right now" in error["message"]
    assert "nothing was granted or charged" in error["message"]
    assert "moderators have been told" in error["message"]
    assert_untouched(buyer)
    [event] = reports(work.asset_id)
    assert event.actor == "bob" and "UnsupportedImage" in event.data["detail"]
    # Asking again does not repeat the report; the refusal stays the same.
    again = download(api_client, [work.asset_id])
    assert again.status_code == 409 and again.json()["error"]["code"] == UNREADABLE
    assert len(reports(work.asset_id)) == 1
    assert_untouched(buyer)


def test_a_missing_original_is_refused_the_same_way(api_client, artist, buyer):
    work = offered_work(artist, "PNG", seed=32)
    default_storage.delete(work.asset.original_key)
    fund(buyer, FUNDS)
    sign_in(api_client, buyer)
    response = download(api_client, [work.asset_id])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == UNREADABLE
    assert_untouched(buyer)
    assert len(reports(work.asset_id)) == 1


def test_in_a_mixed_selection_the_others_go_through_only_when_skipping(api_client, artist, buyer):
    work, good, free = broken_work(artist), offered_work(artist, "PNG", seed=33), stored_asset()
    fund(buyer, FUNDS)
    sign_in(api_client, buyer)
    ids = [work.asset_id, good.asset_id, free.pk]
    refused = download(api_client, ids)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == UNREADABLE
    assert "1 of the 3 requested assets cannot be downloaded" in error["message"]
    assert_untouched(buyer)

    skipped = api_client.post(
        "/api/v1/downloads/",
        {"asset_ids": ids, "purpose": "research", "use": "ai_training",
         "skip_unavailable": True},
        format="json",
    )  # fmt: skip
    assert skipped.status_code == 201, skipped.json()
    body = skipped.json()
    assert {d["asset_id"] for d in body["downloads"]} == {good.asset_id, free.pk}
    assert body["refused"] == {str(work.asset_id): UNREADABLE}
    assert set(DownloadGrant.objects.filter(buyer=buyer).values_list("asset_id", flat=True)) == {
        good.asset_id, free.pk,
    }  # fmt: skip
    assert wallet_balance(buyer) == FUNDS - 40_000 - 1_000  # the good work's price and fee
    assert buyer_quota(buyer).used == 2
    assert len(reports(work.asset_id)) == 1  # reported once, by the first refusal


def test_once_reported_a_quote_lists_it_as_refused(api_client, artist, buyer):
    work, good = broken_work(artist), offered_work(artist, "PNG", seed=35)
    sign_in(api_client, buyer)
    ask = {"asset_ids": [work.asset_id, good.asset_id], "purpose": "research",
           "use": "ai_training"}  # fmt: skip
    before = api_client.post("/api/v1/downloads/quote/", ask, format="json").json()
    assert before["paid"] == [work.asset_id, good.asset_id]  # not known yet: not read
    assert download(api_client, [work.asset_id]).status_code == 409
    after = api_client.post("/api/v1/downloads/quote/", ask, format="json").json()
    assert after["refused"] == {str(work.asset_id): UNREADABLE}
    assert after["paid"] == [good.asset_id] and after["total_usd"] == "0.041000"


def test_the_licensing_page_says_why_and_charges_nothing(artist, buyer, make_user):
    work = broken_work(artist)
    fund(buyer, FUNDS)
    client = Client()
    client.force_login(buyer)
    response = client.post(
        "/license/",
        {"asset": [work.asset_id], "step": "confirm", "purpose": "research",
         "use": "ai_training", "key": "0f8fad5b-d9cb-469f-a165-70867728950e"},
    )  # fmt: skip
    assert response.status_code == 409
    html = response.content.decode()
    assert "Some of these images cannot be licensed now." in html
    assert f"Asset {work.asset_id} cannot be delivered right now" in html
    assert "moderators have been told" in html
    assert_untouched(buyer)
    assert len(reports(work.asset_id)) == 1
    # A moderator finds it in the audit log, by its reason.
    staff = Client()
    staff.force_login(make_user("mo", role=Role.MODERATOR, is_staff=True, is_superuser=True))
    listed = staff.get("/admin/provenance/provenanceevent/", {"reason": UNREADABLE})
    assert listed.status_code == 200
    assert f'<td class="field-asset_id">{work.asset_id}</td>' in listed.content.decode()


def test_on_the_licensing_page_the_others_can_be_licensed_without_it(artist, buyer):
    work, free = broken_work(artist), stored_asset()
    fund(buyer, FUNDS)
    client = Client()
    client.force_login(buyer)
    form = {"asset": [work.asset_id, free.pk], "step": "confirm", "purpose": "research",
            "use": "ai_training"}  # fmt: skip
    refused = client.post("/license/", form)
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "1 of the 2 requested assets cannot be downloaded" in html
    assert 'name="skip_unavailable"' in html  # the way forward is offered
    assert_untouched(buyer)
    done = client.post("/license/", {**form, "skip_unavailable": "on"})
    assert done.status_code == 302
    assert list(DownloadGrant.objects.filter(buyer=buyer).values_list("asset_id", flat=True)) == [
        free.pk
    ]
    assert wallet_balance(buyer) == FUNDS and buyer_quota(buyer).used == 1


def test_the_task_making_the_copy_gives_up_and_tells_the_moderators(artist):
    work = broken_work(artist)
    offer = work.offers.get()
    assert make_offer_file.apply(args=[offer.pk]).get() == ""  # done: no error, no retry
    assert not OfferFile.objects.filter(offer=offer).exists()
    assert len(reports(work.asset_id)) == 1
    # Remaking every copy skips it and goes on with the others.
    good = offered_work(artist, "PNG", seed=34)
    assert offer_files_remake() == 1
    assert OfferFile.objects.filter(offer__work=good).exists()
