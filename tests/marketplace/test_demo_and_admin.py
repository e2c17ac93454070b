"""The demo: its sample base set goes through the real pipeline (license policy, cloning
from a loopback server, classifiers, publishing), a newcomer can search it with words and
filters, see its thumbnails and download a free and a paid image, and the demo's staff
accounts reach the admin pages the README sends them to."""

import hashlib
import json

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from catalog.models import Asset, AssetStatus, CloneState
from marketplace.demo import DEMO_USERS, SAMPLES_DIR, SAMPLES_FILE, SAMPLES_SOURCE, demo_load
from marketplace.models import User, Work
from provenance.models import DatasetRelease, ProvenanceRecord

TRAINING = {"purpose": "research", "use": "ai_training"}  # what these downloads declare

# The demo runs outside a transaction: the scoring that cloning queues at each commit runs
# then, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

RECORDS = json.loads(SAMPLES_FILE.read_text())
SHIPPED = [r for r in RECORDS if r["file"]]


def signed_in(api_client, username: str):
    token = api_client.post(
        "/api/v1/auth/token/", {"username": username, "password": f"{username}-pass"}
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api_client


def titles(api_client, **params) -> set[str]:
    response = api_client.get("/api/v1/assets/", params)
    assert response.status_code == 200, response.json()
    return {asset["title"] for asset in response.json()["results"]}


def test_the_sample_base_set_is_stored_scored_and_published_through_the_pipeline():
    result = demo_load()
    assert (result.ingest.seen, result.clone.accepted, result.published) == (
        len(RECORDS), len(SHIPPED), len(SHIPPED),
    )  # fmt: skip
    base_set = Asset.objects.filter(source=SAMPLES_SOURCE)
    for asset in base_set.filter(status=AssetStatus.PUBLISHED):
        assert asset.clone_state == CloneState.DONE
        assert asset.license in {"pdm-1.0", "cc0-1.0"}
        assert asset.nsfw_score is not None and asset.face_count is not None
        assert default_storage.exists(asset.thumbnail_key)
        record = next(r for r in SHIPPED if r["source_record_id"] == asset.source_record_id)
        with default_storage.open(asset.original_key) as stored:
            assert stored.read() == (SAMPLES_DIR / record["file"]).read_bytes()
    # The records whose license does not hold up are kept with the policy's reason.
    rejected = dict(
        base_set.filter(status=AssetStatus.REJECTED).values_list("source_record_id",
                                                                 "rejection_reason")
    )  # fmt: skip
    assert rejected == {
        "skimage-coins": "license_ambiguous",
        "skimage-immunohistochemistry": "license_ambiguous",
        "skimage-rocket": "license_ambiguous",
        "skimage-text": "license_ambiguous",
        "openclipart-emperor-penguin": "license_not_accepted",
    }
    # A dataset release of the published samples, for the releases page.
    release = DatasetRelease.objects.get(name="demo-base-set")
    assert release.state == "done" and 0 < release.counts["total"] <= result.published
    evidence = ProvenanceRecord.objects.get(source_record_id="skimage-chelsea").evidence
    assert evidence["statement"].startswith("No copyright restrictions.")
    for demo in DEMO_USERS:
        user = User.objects.get(username=demo.username)
        assert user.roles == [demo.role.value] and user.check_password(demo.password)
        assert user.is_superuser == demo.superuser

    again = demo_load()  # a second run keeps what is in
    assert (again.ingest, again.clone, again.published) == (None, None, len(SHIPPED))
    assert User.objects.count() == len(DEMO_USERS)
    assert base_set.count() == len(RECORDS)


def test_a_newcomer_searches_sees_thumbnails_and_downloads_a_free_and_a_paid_image(api_client):
    demo_load()
    # The README's example, then words in tags, a phrase, `or` and an exclusion.
    assert titles(api_client, q="portrait", license="pdm-1.0", max_nsfw=0.05) == {
        "Eileen Collins, NASA astronaut", "Commodore Grace M. Hopper, USN",
    }  # fmt: skip
    assert titles(api_client, q="dandelion") == {"Seeding"}
    assert titles(api_client, q='"blue marble"') == {"The Earth by day (Blue Marble)"}
    assert titles(api_client, q="cat or espresso") == {"Chelsea the cat", "Coffee cup"}
    assert titles(api_client, q="earth -night") == {"The Earth by day (Blue Marble)"}

    page = api_client.get("/api/v1/assets/", {"q": "cat"}).json()
    thumbnail = api_client.get(page["results"][0]["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    assert b"".join(thumbnail.streaming_content)[:2] == b"\xff\xd8"

    client = signed_in(api_client, "demo-buyer")
    cat = Asset.objects.get(source_record_id="skimage-chelsea")
    free = client.post("/api/v1/downloads/", {"asset_ids": [cat.pk], **TRAINING},
                       format="json")  # fmt: skip
    assert free.status_code == 201, free.json()
    assert free.json()["charged_usd"] == "0.000000"
    served = client.get(free.json()["downloads"][0]["url"])
    assert served.status_code == 200
    expected = hashlib.sha256((SAMPLES_DIR / "chelsea.jpg").read_bytes()).hexdigest()
    assert hashlib.sha256(b"".join(served.streaming_content)).hexdigest() == expected

    # The demo buyer licensed two works already (USD 0.10 and 0.08, each plus the fee).
    assert client.get("/api/v1/billing/wallet/").json()["balance_usd"] == "24.818000"
    work = Asset.objects.get(source="opt_in", title="Study in circles")
    paid = client.post("/api/v1/downloads/", {"asset_ids": [work.pk], **TRAINING},
                       format="json")  # fmt: skip
    assert paid.status_code == 201, paid.json()
    assert (paid.json()["charged_usd"], paid.json()["wallet_usd"]) == ("0.051000", "24.767000")
    file = client.get(paid.json()["downloads"][0]["url"])
    assert file.status_code == 200 and b"".join(file.streaming_content)[:4] == b"\x89PNG"


def test_the_demo_artist_has_offered_works_a_draft_and_two_sales(client):
    demo_load()
    client.force_login(User.objects.get(username="demo-artist"))
    earnings = client.get("/earnings/").content.decode()
    assert "Licenses sold" in earnings and "$0.18" in earnings  # Tide and Night lines
    works = Asset.objects.filter(source="opt_in")
    assert dict(works.values_list("title", "status")) == {
        "Study in circles": AssetStatus.PUBLISHED, "Night lines": AssetStatus.PUBLISHED,
        "Quiet grid": AssetStatus.PUBLISHED, "Tide": AssetStatus.PUBLISHED,
        "Sketch for a poster": AssetStatus.CANDIDATE,
    }  # fmt: skip
    assert sorted(works.exclude(price_micros=None).values_list("price_micros", flat=True)) == [
        20_000, 50_000, 80_000, 100_000,
    ]  # fmt: skip


MODERATOR_PAGES = [
    "/admin/catalog/asset/",
    "/admin/catalog/ingestrun/",
    "/admin/catalog/optout/",
    "/admin/catalog/optout/add/",
    "/admin/provenance/provenancerecord/",
    "/admin/provenance/provenanceevent/",
    "/admin/provenance/auditseal/",
    "/admin/moderation/reviewitem/",
    "/admin/moderation/flag/",
    "/admin/marketplace/work/",
    "/admin/marketplace/ownershipdeclaration/",
]
BILLING_PAGES = ["/admin/billing/account/", "/admin/billing/ledgertransaction/",
                 "/admin/billing/topup/", "/admin/billing/stripeevent/"]  # fmt: skip


def test_the_demo_staff_reach_the_admin_pages_the_readme_names(client):
    demo_load()
    assert client.login(
        request=HttpRequest(), username="demo-moderator", password="demo-moderator-pass"
    )
    for page in MODERATOR_PAGES:
        assert client.get(page).status_code == 200, page
    asset = Asset.objects.get(source_record_id="skimage-coffee")
    change = client.get(f"/admin/catalog/asset/{asset.pk}/change/").content.decode()
    assert f"/thumbnails/{asset.pk}.jpg" in change  # the image is shown
    tide = Work.objects.get(asset__title="Tide")
    work_page = client.get(f"/admin/marketplace/work/{tide.pk}/change/").content.decode()
    # The demo artist's per-use prices: mining and training at the price, generative twice.
    assert "data_mining $0.10, ai_generative_training $0.20, ai_training $0.10" in work_page
    # Moderators review; they do not create catalog rows, manage accounts or see billing.
    assert client.get("/admin/catalog/asset/add/").status_code == 403
    assert client.get("/admin/marketplace/user/1/delete/").status_code == 403
    for page in BILLING_PAGES:
        assert client.get(page).status_code == 403, page

    assert client.login(request=HttpRequest(), username="demo-admin", password="demo-admin-pass")
    for page in BILLING_PAGES:
        assert client.get(page).status_code == 200, page


def test_load_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        call_command("load_demo")
    assert not User.objects.exists()


def test_buyers_cannot_enter_the_admin(client, make_user):
    make_user("demo-buyer")
    assert client.login(request=HttpRequest(), username="demo-buyer",
                        password="a-long-passphrase")  # fmt: skip
    response = client.get("/admin/catalog/asset/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
