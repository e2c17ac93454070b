"""The works API for owners: list, read, edit, offer and withdraw; the current terms; and
direct uploads to S3 (presigned form, then confirm)."""

import base64
import json
from datetime import datetime, timedelta

import httpx
import pytest
import yaml
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from PIL import Image

from catalog.models import Asset, AssetStatus
from marketplace.models import DirectUpload, OwnershipDeclaration, Role, Work
from marketplace.offers import current_terms
from tests.catalog.images import encode, jpeg, picture
from tests.marketplace.works_helpers import (
    GPS_IFD,
    artist,
    bucket_keys,
    gps_jpeg,
    upload,
    use_s3,
)

pytestmark = pytest.mark.django_db

WORKS = "/api/v1/works/"
UPLOADS = "/api/v1/works/uploads/"


@pytest.fixture
def ada(make_user, api_client):
    user = artist(make_user, "ada")
    api_client.force_authenticate(user)
    return user


def uploaded(client, seed: int = 1, **fields) -> int:
    response = upload(client, jpeg(seed), f"w{seed}.jpg", **fields)
    assert response.status_code == 201, response.json()
    return response.json()["works"][0]["id"]


def accept_ownership(work_id: int) -> None:
    OwnershipDeclaration.objects.create(
        work_id=work_id, statement="Mine.", state="accepted", decided_at=timezone.now()
    )


def offer(client, work_id: int, *, price_usd="0.050000", uses=None, **fields):
    payload = {
        "uses": {"ai_training": price_usd} if uses is None else uses,
        "allow_research": True,
        "allow_commercial": False,
        "terms_version": current_terms().version,
        **fields,
    }
    return client.put(f"{WORKS}{work_id}/offer/", payload, format="json")


# --- reading and editing ----------------------------------------------------------------


def test_owners_list_only_their_own_works_newest_first_paginated(api_client, ada, make_user):
    first, second = uploaded(api_client, 1), uploaded(api_client, 2)
    api_client.force_authenticate(artist(make_user, "bob"))
    uploaded(api_client, 3)

    api_client.force_authenticate(ada)
    body = api_client.get(WORKS).json()
    assert [w["id"] for w in body["results"]] == [second, first]
    assert {"next", "previous", "results"} <= set(body)
    page = api_client.get(WORKS, {"page_size": 1}).json()
    assert [w["id"] for w in page["results"]] == [second] and page["next"]


def test_another_persons_work_is_404_and_buyers_get_403(api_client, ada, make_user):
    work_id = uploaded(api_client)
    api_client.force_authenticate(artist(make_user, "bob"))
    for response in (
        api_client.get(f"{WORKS}{work_id}/"),
        api_client.patch(f"{WORKS}{work_id}/", {"title": "Mine now"}, format="json"),
        offer(api_client, work_id),
        api_client.delete(f"{WORKS}{work_id}/offer/"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert Asset.objects.get().title == "Harbour at dawn"

    api_client.force_authenticate(make_user("carol", role=Role.BUYER))
    assert api_client.get(WORKS).status_code == 403
    assert upload(api_client, jpeg(9)).status_code == 403
    assert api_client.get(f"{WORKS}{work_id}/").status_code == 403
    assert Work.objects.count() == 1


def test_anonymous_clients_get_401(api_client):
    assert api_client.get(WORKS).status_code == 401
    assert api_client.get("/api/v1/terms/current/").status_code == 401


def test_editing_a_work_updates_the_asset_and_what_search_finds(api_client, ada):
    work_id = uploaded(api_client)
    accept_ownership(work_id)
    assert offer(api_client, work_id).status_code == 200

    response = api_client.patch(
        f"{WORKS}{work_id}/",
        {"title": "Lighthouse in fog", "tags": ["lighthouse"], "creation_date": "c. 1900"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Lighthouse in fog"
    asset = Asset.objects.get()
    assert (asset.title, asset.tags, asset.year) == ("Lighthouse in fog", ["lighthouse"], 1900)
    assert asset.description == ""  # untouched fields stay
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_document @@ plainto_tsquery('english', 'lighthouse') "
            "FROM catalog_asset WHERE id = %s",
            [asset.pk],
        )
        assert cursor.fetchone() == (True,)
    found = api_client.get("/api/v1/assets/", {"q": "lighthouse"}).json()["results"]
    assert [a["id"] for a in found] == [asset.pk]


def test_an_edit_with_nothing_or_bad_values_is_refused(api_client, ada):
    work_id = uploaded(api_client)
    assert api_client.patch(f"{WORKS}{work_id}/", {}, format="json").status_code == 400
    bad = api_client.patch(f"{WORKS}{work_id}/", {"title": ""}, format="json")
    assert bad.status_code == 400 and "title" in bad.json()["error"]["fields"]
    future = api_client.patch(f"{WORKS}{work_id}/", {"creation_date": "2999-01-01"}, format="json")
    assert future.status_code == 400 and "creation_date" in future.json()["error"]["fields"]


# --- offering ---------------------------------------------------------------------------


def test_offering_publishes_a_declared_work_and_shows_the_offer(api_client, ada):
    work_id = uploaded(api_client)
    accept_ownership(work_id)

    response = offer(api_client, work_id, price_usd="1.5", allow_commercial=True)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "published"
    assert body["offer"]["price_usd"] == "1.500000"
    assert body["offer"]["allow_commercial"] is True
    assert body["offer"]["terms_version"] == current_terms().version
    assert body["declaration"]["state"] == "accepted"
    asset = Asset.objects.get()
    assert (asset.status, asset.price_micros) == (AssetStatus.PUBLISHED, 1_500_000)

    listed = api_client.get(WORKS).json()["results"][0]
    assert listed["offer"]["price_usd"] == "1.500000" and listed["status"] == "published"


def test_an_offer_without_accepted_ownership_stays_a_candidate(api_client, ada):
    work_id = uploaded(api_client)
    body = offer(api_client, work_id).json()
    assert body["status"] == "candidate" and body["offer"]["price_usd"] == "0.050000"


def test_offer_input_is_checked(api_client, ada):
    work_id = uploaded(api_client)
    too_precise = offer(api_client, work_id, price_usd="0.0000001")
    assert too_precise.status_code == 400
    assert "uses.ai_training" in too_precise.json()["error"]["fields"]
    old_terms = offer(api_client, work_id, terms_version="2001-01")
    assert old_terms.status_code == 409 and old_terms.json()["error"]["code"] == "terms_outdated"
    no_use = offer(api_client, work_id, allow_research=False, allow_commercial=False)
    assert no_use.status_code == 400
    assert not Work.objects.get().offers.exists()


def test_withdrawing_stops_the_offer(api_client, ada):
    work_id = uploaded(api_client)
    accept_ownership(work_id)
    offer(api_client, work_id)

    response = api_client.delete(f"{WORKS}{work_id}/offer/")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn" and response.json()["offer"] is None
    assert Asset.objects.get().status == AssetStatus.WITHDRAWN
    again = api_client.delete(f"{WORKS}{work_id}/offer/")
    assert again.status_code == 400 and again.json()["error"]["code"] == "not_offered"


def test_a_held_work_is_not_published_even_when_offered_and_declared(api_client, ada, make_user):
    data = jpeg(40)
    api_client.force_authenticate(artist(make_user, "first"))
    upload(api_client, data)
    api_client.force_authenticate(ada)
    work_id = upload(api_client, data).json()["works"][0]["id"]
    accept_ownership(work_id)

    body = offer(api_client, work_id).json()
    assert body["hold"] == "matches_other_owner" and body["status"] == "candidate"
    assert Work.objects.get(pk=work_id).asset.status == AssetStatus.CANDIDATE


def test_anyone_signed_in_reads_the_current_terms(api_client, make_user):
    api_client.force_authenticate(make_user("carol", role=Role.BUYER))
    response = api_client.get("/api/v1/terms/current/")
    assert response.status_code == 200
    terms = current_terms()
    assert response.json()["version"] == terms.version
    assert response.json()["title"] == terms.title and response.json()["text"] == terms.text


# --- direct uploads ---------------------------------------------------------------------


@pytest.fixture
def s3(settings, s3_endpoint, request):
    bucket = f"direct-{request.node.name[:40].replace('_', '-').lower()}"
    use_s3(settings, s3_endpoint, bucket)
    return s3_endpoint, bucket


def start(client, data: bytes, name="large.jpg", content_type="image/jpeg"):
    return client.post(
        UPLOADS, {"filename": name, "size": len(data), "content_type": content_type}, format="json"
    )


def post_form(form: dict, data: bytes, name="large.jpg") -> httpx.Response:
    files = {"file": (name, data, form["fields"]["Content-Type"])}
    return httpx.post(form["url"], data=form["fields"], files=files, timeout=30)


def confirm(client, upload_id, **fields):
    return client.post(
        f"{UPLOADS}{upload_id}/confirm/", {"title": "Big scan", **fields}, format="json"
    )


def test_direct_upload_posts_to_s3_then_confirm_creates_the_work(
    api_client, ada, s3, django_capture_on_commit_callbacks
):
    endpoint, bucket = s3
    data = gps_jpeg(50, size=(1200, 900))
    started = start(api_client, data)
    assert started.status_code == 201, started.json()
    form = started.json()
    assert form["fields"]["key"] == f"incoming/{form['id']}"
    assert form["size"] == len(data)
    upload_row = DirectUpload.objects.get()
    assert upload_row.owner == ada and upload_row.expires_at > timezone.now()

    assert post_form(form, data).status_code in (200, 201, 204)
    assert bucket_keys(endpoint, bucket) == [f"incoming/{form['id']}"]

    with django_capture_on_commit_callbacks(execute=True):  # the incoming file goes on commit
        response = confirm(api_client, form["id"], tags=["scan"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["title"] == "Big scan" and body["tags"] == ["scan"]
    asset = Work.objects.get(pk=body["id"]).asset
    assert (asset.width, asset.height) == (1200, 900)
    keys = bucket_keys(endpoint, bucket)
    assert keys == sorted([asset.original_key, asset.thumbnail_key])  # incoming/ is gone
    with default_storage.open(asset.original_key) as handle, Image.open(handle) as kept:
        assert not kept.getexif().get_ifd(GPS_IFD)
    upload_row.refresh_from_db()
    assert upload_row.confirmed_at and upload_row.work_id == body["id"]

    again = confirm(api_client, form["id"])
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_confirmed"
    assert str(body["id"]) in again.json()["error"]["message"]


def test_only_the_uploader_can_confirm(api_client, ada, make_user, s3):
    data = jpeg(51)
    form = start(api_client, data).json()
    post_form(form, data)
    api_client.force_authenticate(artist(make_user, "mallory"))
    response = confirm(api_client, form["id"])
    assert response.status_code == 404
    assert not Work.objects.exists()
    assert DirectUpload.objects.get().confirmed_at is None


def test_an_expired_upload_is_refused(api_client, ada, s3):
    data = jpeg(52)
    form = start(api_client, data).json()
    post_form(form, data)
    DirectUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = confirm(api_client, form["id"])
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "upload_expired"
    assert not Work.objects.exists()


def test_confirming_before_the_file_arrived_says_so(api_client, ada, s3):
    form = start(api_client, jpeg(53)).json()
    response = confirm(api_client, form["id"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "upload_missing"


def test_a_refused_direct_upload_is_deleted_and_creates_nothing(api_client, ada, s3):
    endpoint, bucket = s3
    data = jpeg(54) + b"<script>alert(1)</script>"
    form = start(api_client, data).json()
    post_form(form, data)
    response = confirm(api_client, form["id"])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "polyglot"
    assert response.json()["error"]["message"].startswith("large.jpg: ")
    assert bucket_keys(endpoint, bucket) == []
    assert not Work.objects.exists() and not Asset.objects.exists()


def test_direct_upload_checks_name_type_and_size_first(api_client, ada, s3, settings):
    settings.DIRECT_UPLOAD_MAX_BYTES = 1000
    wrong_type = start(api_client, b"x" * 10, "scan.tif", "image/jpeg")
    assert wrong_type.status_code == 400 and "content_type" in wrong_type.json()["error"]["fields"]
    svg = start(api_client, b"x" * 10, "logo.svg", "image/svg+xml")
    assert svg.status_code == 400 and svg.json()["error"]["code"] == "unsupported_type"
    too_big = start(api_client, b"x" * 1001)
    assert too_big.status_code == 413
    assert not DirectUpload.objects.exists()


def test_a_file_of_another_size_than_announced_is_refused_and_deleted(api_client, ada, s3):
    # S3 itself refuses it (content-length-range); the moto server does not, so the
    # confirmation's own check is what this test sees.
    endpoint, bucket = s3
    form = start(api_client, jpeg(55)).json()
    post_form(form, encode(picture(56, (900, 700)), "JPEG"))
    response = confirm(api_client, form["id"])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "size_mismatch"
    assert bucket_keys(endpoint, bucket) == []
    assert not Work.objects.exists()


def test_direct_upload_on_local_storage_says_to_use_multipart(api_client, ada):
    response = start(api_client, jpeg(57))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "direct_upload_unavailable"
    assert "S3" in error["message"] and "POST /api/v1/works/" in error["message"]
    assert not DirectUpload.objects.exists()


def test_the_presigned_policy_pins_key_size_type_and_expiry(api_client, ada, s3, settings):
    endpoint, bucket = s3
    data = jpeg(58)
    form = start(api_client, data).json()
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", len(data), len(data)] in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert {"key": f"incoming/{form['id']}"} in conditions and {"bucket": bucket} in conditions
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    deadline = timezone.now() + timedelta(seconds=settings.DIRECT_UPLOAD_EXPIRY_SECONDS)
    assert abs((expires - deadline).total_seconds()) < 60
    assert bucket_keys(endpoint, bucket) == []


def test_the_schema_documents_the_works_endpoints(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = schema["paths"]
    assert {
        "/api/v1/works/",
        "/api/v1/works/{work_id}/",
        "/api/v1/works/{work_id}/offer/",
        "/api/v1/works/{work_id}/declaration/",
        "/api/v1/works/uploads/",
        "/api/v1/works/uploads/{upload_id}/confirm/",
        "/api/v1/terms/current/",
    } <= set(paths)
    create = paths["/api/v1/works/"]["post"]
    assert list(create["requestBody"]["content"]) == ["multipart/form-data"]
    assert "all or nothing" in create["description"]
    assert {"400", "409", "413"} <= set(create["responses"])


def test_uploads_never_confirmed_are_cleared_a_day_after_they_expire(
    api_client, ada, s3, django_capture_on_commit_callbacks
):
    from marketplace.tasks import clear_direct_uploads

    endpoint, bucket = s3
    forms = {}
    for name, seed in (("posted", 55), ("never-posted", 56), ("recent", 57), ("confirmed", 58)):
        data = jpeg(seed)
        forms[name] = start(api_client, data, name=f"{name}.jpg").json()
        if name != "never-posted":
            post_form(forms[name], data, name=f"{name}.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        assert confirm(api_client, forms["confirmed"]["id"]).status_code == 201
    DirectUpload.objects.exclude(pk=forms["recent"]["id"]).update(
        expires_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    DirectUpload.objects.filter(pk=forms["recent"]["id"]).update(
        expires_at=timezone.now() - timedelta(hours=2)  # expired, not yet abandoned
    )

    assert clear_direct_uploads.delay().get() == 2
    left = set(DirectUpload.objects.values_list("pk", flat=True))
    assert {str(pk) for pk in left} == {forms["recent"]["id"], forms["confirmed"]["id"]}
    incoming = [key for key in bucket_keys(endpoint, bucket) if key.startswith("incoming/")]
    assert incoming == [f"incoming/{forms['recent']['id']}"]
    late = confirm(api_client, forms["recent"]["id"])
    assert late.json()["error"]["code"] == "upload_expired"  # still told why, for a day
    assert Work.objects.count() == 1
