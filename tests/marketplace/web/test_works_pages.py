"""A rights holder's works on the site: the list and its filters, a work's page (edit,
delete, withdraw), offering, declaring ownership, thumbnails, and the upload endpoint the
upload page posts to."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalog.models import Asset, AssetStatus
from catalog.services import asset_take_down
from marketplace.downloads import downloads_grant
from marketplace.models import Offer, OwnershipDeclaration, Role, Work
from marketplace.models.works import HoldReason
from marketplace.offers import offer_uses
from provenance.models import EventKind, ProvenanceEvent
from tests.billing.conftest import fund
from tests.catalog.images import encode, jpeg, picture
from tests.marketplace.factories import opt_in_work
from tests.marketplace.works_helpers import media_files, upload

pytestmark = pytest.mark.django_db


def _uploaded(client, *names_and_data):
    files = [SimpleUploadedFile(name, data) for name, data in names_and_data]
    metadata = [{"title": f"Title {i}", "tags": "sea, boats"} for i in range(len(files))]
    return client.post("/works/upload/batch/", {"files": files, "metadata": json.dumps(metadata)})


def test_uploading_a_batch_makes_one_work_per_file(artist_client, rights_holder):
    response = _uploaded(artist_client, ("a.jpg", jpeg(1)), ("b.png", encode(picture(2), "PNG")))
    assert response.status_code == 201, response.content
    works = response.json()["works"]
    assert [w["title"] for w in works] == ["Title 0", "Title 1"]
    assert response.json()["next"] == "/works/"
    stored = Work.objects.filter(owner=rights_holder).select_related("asset")
    assert sorted(w.asset.tags == ["sea", "boats"] for w in stored) == [True, True]
    listing = artist_client.get("/works/")
    assert b"2 works uploaded" in listing.content


def test_a_refused_file_refuses_the_batch_says_why_and_stores_nothing(artist_client):
    response = _uploaded(
        artist_client, ("a.jpg", jpeg(1)), ("party.gif", encode(picture(3), "GIF"))
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == ["files.1"]
    assert "party.gif: GIF images are not accepted" in error["fields"]["files.1"][0]
    assert error["message"].endswith("Nothing was stored.")
    assert not Work.objects.exists()
    assert media_files() == []


def test_upload_checks_each_files_details_like_the_api(artist_client):
    files = [SimpleUploadedFile("a.jpg", jpeg(1))]
    response = artist_client.post(
        "/works/upload/batch/",
        {"files": files, "metadata": json.dumps([{"title": " ", "creation_date": "2999"}])},
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["files.0"] == [
        "Give this file a title.",
        "The year is in the future.",
    ]
    assert not Work.objects.exists()


def test_upload_needs_the_csrf_token_and_the_rights_holder_role(rights_holder, make_user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(rights_holder)
    assert _uploaded(strict, ("a.jpg", jpeg(1))).status_code == 403
    buyer = Client()
    buyer.force_login(make_user("bob", role=Role.BUYER))
    assert _uploaded(buyer, ("a.jpg", jpeg(1))).status_code == 403
    assert not Work.objects.exists()


def test_the_list_filters_by_status_and_says_why_a_work_is_held(artist_client, rights_holder):
    published = opt_in_work(rights_holder)
    draft = opt_in_work(rights_holder, offered=False)
    held = opt_in_work(rights_holder, offered=False)
    Work.objects.filter(pk=held.pk).update(hold=HoldReason.MATCHES_BASE_SET)
    Asset.objects.filter(pk=published.asset_id).update(title="Blue harbour")
    Asset.objects.filter(pk=held.asset_id).update(title="Looks familiar")

    page = artist_client.get("/works/?state=held")
    assert b"Looks familiar" in page.content
    assert b"public-domain base set" in page.content
    assert b"Blue harbour" not in page.content
    assert b"Held for review (1)" in page.content
    assert b"Published (1)" in page.content
    assert b"Draft (1)" in page.content
    published_only = artist_client.get("/works/?state=published")
    assert b"Blue harbour" in published_only.content
    assert f"/works/{draft.pk}/".encode() not in published_only.content
    # htmx asks for the list only.
    fragment = artist_client.get("/works/?q=blue", HTTP_HX_REQUEST="true")
    assert b"<html" not in fragment.content
    assert b"Blue harbour" in fragment.content
    assert b"Looks familiar" not in fragment.content


def test_editing_a_works_details(artist_client, rights_holder):
    work = opt_in_work(rights_holder)
    response = artist_client.post(
        f"/works/{work.pk}/",
        {"title": "Dawn", "description": "Oil", "creation_date": "c. 1920", "tags": "sea, Sea, x"},
    )
    assert response.status_code == 302
    asset = Asset.objects.get(pk=work.asset_id)
    assert (asset.title, asset.description, asset.year, asset.tags) == (
        "Dawn", "Oil", 1920, ["sea", "x"]
    )  # fmt: skip
    future = artist_client.post(f"/works/{work.pk}/", {"title": "Dawn", "creation_date": "2999"})
    assert future.status_code == 400
    assert b"The year is in the future." in future.content


def test_another_persons_work_does_not_exist_for_you(artist_client, make_user):
    other = opt_in_work(make_user("eve", role=Role.RIGHTS_HOLDER))
    assert artist_client.get(f"/works/{other.pk}/").status_code == 404
    assert artist_client.post(f"/works/{other.pk}/delete/", {"confirm": "1"}).status_code == 404
    assert Work.objects.filter(pk=other.pk).exists()


def test_deleting_a_work_nobody_licensed_removes_it_and_its_files(
    artist_client, django_capture_on_commit_callbacks
):
    response = _uploaded(artist_client, ("a.jpg", jpeg(1)))
    work = Work.objects.get(pk=response.json()["works"][0]["id"])
    asset_id = work.asset_id
    assert len(media_files()) == 2  # the original and its thumbnail
    unconfirmed = artist_client.post(f"/works/{work.pk}/delete/", follow=True)
    assert b"Tick the box" in unconfirmed.content
    with django_capture_on_commit_callbacks(execute=True):
        done = artist_client.post(f"/works/{work.pk}/delete/", {"confirm": "1"}, follow=True)
    assert b"is deleted, with its files." in done.content
    assert not Work.objects.exists()
    assert not Asset.objects.filter(pk=asset_id).exists()
    assert media_files() == []
    assert ProvenanceEvent.objects.filter(asset_id=asset_id, kind=EventKind.UPLOAD_DELETED).exists()


def test_a_licensed_work_can_be_withdrawn_but_not_deleted(artist_client, rights_holder, make_user):
    work = opt_in_work(rights_holder)
    buyer = make_user("bob", role=Role.BUYER)
    fund(buyer, 1_000_000)
    downloads_grant(buyer=buyer, asset_ids=[work.asset_id], purpose="research", use="ai_training")
    page = artist_client.get(f"/works/{work.pk}/")
    assert b"cannot be deleted" in page.content
    refused = artist_client.post(f"/works/{work.pk}/delete/", {"confirm": "1"}, follow=True)
    assert b"Withdraw it instead" in refused.content
    assert Work.objects.filter(pk=work.pk).exists()
    withdrawn = artist_client.post(f"/works/{work.pk}/withdraw/", follow=True)
    assert b"Licenses already bought stay valid." in withdrawn.content
    assert Asset.objects.get(pk=work.asset_id).status == AssetStatus.WITHDRAWN


def test_offering_shows_the_terms_and_sets_the_price(artist_client, rights_holder):
    work = opt_in_work(rights_holder, offered=False)
    page = artist_client.get(f"/works/{work.pk}/offer/")
    assert b"Training License, version 2026-11" in page.content
    assert b"The buyer may not redistribute the work itself" in page.content  # in full
    form = {"allow_ai_training": "on", "price_ai_training": "0.05", "allow_research": "on",
            "terms_version": "2026-11"}  # fmt: skip
    unaccepted = artist_client.post(f"/works/{work.pk}/offer/", form)
    assert unaccepted.status_code == 400
    assert b"Accept the license to offer the work." in unaccepted.content
    outdated = artist_client.post(
        f"/works/{work.pk}/offer/", {**form, "terms_version": "2020-01", "accept_terms": "on"}
    )
    assert b"The training license is now version 2026-11" in outdated.content
    done = artist_client.post(f"/works/{work.pk}/offer/", {**form, "accept_terms": "on"})
    assert done.status_code == 302
    offer = Offer.objects.get(work=work, ended_at__isnull=True)
    assert (offer.price_micros, offer.allow_research, offer.allow_commercial) == (
        50_000, True, False
    )  # fmt: skip
    assert offer_uses(offer) == {"ai_training": 50_000}  # the others are not allowed
    assert Asset.objects.get(pk=work.asset_id).status == AssetStatus.PUBLISHED
    # A new price ends the old offer: grants keep the terms they were bought under.
    artist_client.post(
        f"/works/{work.pk}/offer/", {**form, "price_ai_training": "$1.5", "accept_terms": "on"}
    )
    offers = Offer.objects.filter(work=work).order_by("pk")
    assert [(o.price_micros, o.ended_at is None) for o in offers] == [
        (50_000, False), (1_500_000, True)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("0.05", [b"$0.05", b"$0.001", b"$0.051"]),
        ("0", [b"$0.00", b"$0.001"]),
        ("abc", [b"Write an amount in US dollars"]),
        ("0.0000001", [b"At most six decimals"]),
        ("5000", [b"above the highest price"]),
    ],
)
def test_the_price_preview_shows_the_fee_and_what_a_buyer_pays(artist_client, typed, shown):
    response = artist_client.get("/works/price-preview/", {"price_usd": typed})
    assert response.status_code == 200
    for text in shown:
        assert text in response.content


def test_declaring_ownership_with_evidence(artist_client, rights_holder):
    work = opt_in_work(rights_holder, offered=False)
    OwnershipDeclaration.objects.all().delete()
    evidence = [SimpleUploadedFile("sketch.txt", b"pencil"), SimpleUploadedFile("b.pdf", b"%PDF")]
    response = artist_client.post(
        f"/works/{work.pk}/declare/", {"statement": "I painted it.", "evidence": evidence}
    )
    assert response.status_code == 302
    declaration = OwnershipDeclaration.objects.get(work=work)
    assert declaration.state == "pending"
    assert len(declaration.evidence_keys) == 2
    again = artist_client.post(f"/works/{work.pk}/declare/", {"statement": "Really."})
    assert again.status_code == 400
    assert b"Your declaration waits for a moderator" in again.content
    assert OwnershipDeclaration.objects.count() == 1


def test_a_rejected_declaration_shows_the_moderators_note(artist_client, rights_holder):
    work = opt_in_work(rights_holder, offered=False)
    OwnershipDeclaration.objects.filter(work=work).update(
        state="rejected", decision_note="The signature differs."
    )
    page = artist_client.get(f"/works/{work.pk}/")
    assert b"The signature differs." in page.content
    assert b"Declare again" in page.content


def test_thumbnails_are_served_to_their_owner_and_to_everyone_once_published(artist_client, client):
    response = _uploaded(artist_client, ("a.jpg", jpeg(1)))
    work = Work.objects.get(pk=response.json()["works"][0]["id"])
    url = f"/thumbnails/{work.asset_id}.jpg"
    own = artist_client.get(url)
    assert own.status_code == 200
    assert own["Content-Type"] == "image/jpeg"
    assert b"".join(own.streaming_content)[:2] == b"\xff\xd8"
    assert client.get(url).status_code == 404  # a draft is private
    Asset.objects.filter(pk=work.asset_id).update(status=AssetStatus.PUBLISHED)
    assert client.get(url).status_code == 200
    asset_take_down(asset_id=work.asset_id, actor="mod", reason="infringing")
    assert client.get(url).status_code == 404


def test_single_uploads_through_the_api_still_work_beside_the_pages(artist_client, rights_holder):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(rights_holder)
    assert upload(api, jpeg(5)).status_code == 201
    assert b"Harbour at dawn" in artist_client.get("/works/").content


@pytest.mark.parametrize(
    "path",
    [
        "/works/99999999999999999999/",
        "/works/99999999999999999999/offer/",
        "/thumbnails/99999999999999999999.jpg",
        "/works/0/",
        "/works/abc/",
    ],
)
def test_ids_out_of_range_are_not_found(artist_client, path):
    response = artist_client.get(path)
    assert response.status_code == 404
    assert b"find that page" in response.content


def test_bad_input_is_answered_without_a_server_error(artist_client, rights_holder):
    work = opt_in_work(rights_holder)
    assert artist_client.get("/works/?page=abc&state=nonsense").status_code == 200
    assert artist_client.get("/earnings/history/?page=999999").status_code == 200
    assert artist_client.get("/earnings/history/?since=yesterday").status_code == 400
    assert artist_client.post(f"/works/{work.pk}/", {"title": ""}).status_code == 400
    bad_price = {"allow_ai_training": "on", "price_ai_training": "-1"}
    assert artist_client.post(f"/works/{work.pk}/offer/", bad_price).status_code == 400
    assert artist_client.post(f"/works/{work.pk}/declare/", {"statement": ""}).status_code == 400
    assert artist_client.post("/works/upload/batch/", {"metadata": "nope"}).status_code == 400
    assert artist_client.get("/works/upload/batch/").status_code == 405
    read = artist_client.post("/notifications/read/", {"id": "abc"}, follow=True)
    assert b"That notification does not exist." in read.content
