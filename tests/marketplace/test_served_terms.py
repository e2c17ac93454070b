"""Every file we serve of an opt-in work carries its terms, and what we say about a work
is machine-readable where TDM agents look: the copy made when a work is offered (XMP read
back by our readers and by exiftool, the C2PA manifest validated by c2pa-python with a
test certificate, the pictures byte for byte), the downloads that serve it (local links,
S3 presigned links, the web zip, manifests), the TDMRep headers on every named response,
the ODRL policies and the site's tdmrep.json."""

import hashlib
import io
import json
import re
import shutil
import subprocess
import zipfile

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from catalog.consent.c2pa_manifests import c2pa_report
from catalog.consent.decision import decide
from catalog.consent.embedded import embedded_signals
from catalog.consent.headers import header_signals
from catalog.consent.vocabulary import RESERVED, USES
from catalog.models import Asset, AssetStatus, License
from marketplace.manifests import manifest_rows
from marketplace.models import (
    DownloadGrant,
    ManifestExport,
    OfferFile,
    OwnershipDeclaration,
    Role,
    Work,
)
from marketplace.offers import current_terms, offer_set, offer_withdraw
from marketplace.selectors import work_uses
from marketplace.served import offer_file_make, served_file
from marketplace.uploads import work_delete
from tests.auth import sign_in
from tests.billing.conftest import fund
from tests.catalog.consent.files import MIME, image, make_authority, picture_data, tampered
from tests.marketplace.factories import opt_in_work, stored_asset
from tests.marketplace.test_storage_s3 import s3_storage  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

BASE = "https://market.example.org"
EXTENSION = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "TIFF": "tif"}


@pytest.fixture(autouse=True)
def _site_address(settings):
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    return make_authority(tmp_path_factory.mktemp("c2pa-served"))


@pytest.fixture
def signing(settings, authority):
    settings.C2PA_SIGNING_CERT = str(authority.chain_path)
    settings.C2PA_SIGNING_KEY = str(authority.key_path)
    settings.C2PA_TRUST_ANCHORS = str(authority.anchors_path)
    return authority


@pytest.fixture
def artist(make_user):
    return make_user("ada", role=Role.RIGHTS_HOLDER)


@pytest.fixture
def buyer(make_user):
    return make_user("bob", role=Role.BUYER)


def stored(key: str) -> bytes:
    with default_storage.open(key) as handle:
        return handle.read()


def offered_work(owner, fmt: str = "JPEG", *, price_micros: int = 40_000, seed: int = 1) -> Work:
    """A published opt-in work whose stored file is a real image in `fmt`, offered."""
    data = image(fmt, seed=seed)
    key = default_storage.save(f"originals/t/{seed}.{EXTENSION[fmt]}", ContentFile(data))
    asset = Asset.objects.create(
        source="opt_in", source_record_id=f"w{seed}-{fmt}", title="Harbour", creator="ada",
        license=License.OPT_IN, status=AssetStatus.CANDIDATE, original_key=key,
        mime_type=MIME[fmt], width=96, height=64, byte_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )  # fmt: skip
    work = Work.objects.create(asset=asset, owner=owner)
    OwnershipDeclaration.objects.create(work=work, statement="Mine.", decided_at=timezone.now(),
                                        state=OwnershipDeclaration.State.ACCEPTED)  # fmt: skip
    offer_set(owner=owner, work_id=work.pk, price_micros=price_micros, allow_research=True,
              allow_commercial=True, terms_version=current_terms().version)  # fmt: skip
    work.asset.refresh_from_db()
    return work


def download(client, asset_ids, purpose="research"):
    return client.post(
        "/api/v1/downloads/", {"asset_ids": asset_ids, "purpose": purpose}, format="json"
    )


# --- the one place a work's uses come from --------------------------------------------


def test_work_uses_are_every_use_at_the_price_while_offered(artist):
    work = opt_in_work(artist, price_micros=70_000)
    assert work_uses(work) == dict.fromkeys(USES, 70_000)
    offer_withdraw(owner=artist, work_id=work.pk)
    assert work_uses(work) == {}
    assert work_uses(opt_in_work(artist, offered=False)) == {}


# --- the copy made when a work is offered ----------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
def test_offering_makes_a_copy_with_the_terms_and_the_same_picture(
    artist, fmt, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the task runs on commit
        work = offered_work(artist, fmt)
    made = OfferFile.objects.get(offer__work=work)
    data = stored(made.key)
    original = stored(work.asset.original_key)
    assert made.sha256 == hashlib.sha256(data).hexdigest() and made.byte_size == len(data)
    assert made.key.startswith("served/") and not made.signed  # no key configured
    assert picture_data(data) == picture_data(original)  # byte for byte

    found = embedded_signals(data, read_at=timezone.now())
    assert found.xmp.data_mining == "DMI-ALLOWED"
    assert found.xmp.web_statement == f"{BASE}/assets/{work.asset_id}/"
    assert f"{BASE}/assets/{work.asset_id}/" in found.xmp.usage_terms
    assert made.uses == dict.fromkeys(USES, 40_000)
    assert made.offer_url == f"{BASE}/assets/{work.asset_id}/"


def test_exiftool_reads_the_terms_we_write(artist, tmp_path, signing):
    exiftool = shutil.which("exiftool")
    assert exiftool, "exiftool is missing: `make test` installs it (libimage-exiftool-perl)"
    work = offered_work(artist, "JPEG", seed=9)
    path = tmp_path / "served.jpg"
    path.write_bytes(stored(offer_file_make(work.offers.get().pk).key))  # signed, too
    out = subprocess.run(
        [exiftool, "-j", "-n", "-XMP-plus:DataMining", "-XMP-xmpRights:WebStatement",
         "-warning", "-error", str(path)],
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    (tags,) = json.loads(out.stdout)
    assert tags["DataMining"] == "http://ns.useplus.org/ldf/vocab/DMI-ALLOWED"
    assert tags["WebStatement"] == f"{BASE}/assets/{work.asset_id}/"
    assert "Warning" not in tags and "Error" not in tags


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
def test_with_a_signing_key_the_copy_has_a_valid_manifest_stating_uses_and_license(
    artist, signing, fmt, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        work = offered_work(artist, fmt, seed=2)
    made = OfferFile.objects.get(offer__work=work)
    assert made.signed
    data = stored(made.key)
    report = c2pa_report(data, MIME[fmt], trust_anchors_path=str(signing.anchors_path))
    assert report.state == "Trusted", report
    license_url = f"{BASE}/terms/{current_terms().version}/"
    assert made.license_url == license_url
    assert {(e.use, e.value, e.constraint_info) for e in report.entries} == {
        (use, "constrained", license_url) for use in USES
    }
    # The XMP written before signing reads back too, and the picture is the original's.
    found = embedded_signals(data, read_at=timezone.now(),
                             trust_anchors_path=str(signing.anchors_path))  # fmt: skip
    assert found.xmp.data_mining == "DMI-ALLOWED"
    assert picture_data(data) == picture_data(stored(work.asset.original_key))
    # Changed after signing, it reads as invalid, and its statements count neither way.
    changed = embedded_signals(tampered(data), read_at=timezone.now(),
                               trust_anchors_path=str(signing.anchors_path))  # fmt: skip
    assert changed.c2pa.state == "Invalid"
    invalid = [s for s in changed.signals if s.kind == "cawg_training_mining"]
    assert invalid and not invalid[0].valid
    assert decide(invalid).training_reservations == ()


def test_a_withdrawn_work_is_written_with_no_use_allowed(artist):
    work = offered_work(artist, "JPEG", seed=3)
    offer = work.offers.get()
    offer_withdraw(owner=artist, work_id=work.pk)
    made = offer_file_make(offer.pk)  # missed its task: made now, from the uses of now
    found = embedded_signals(stored(made.key), read_at=timezone.now())
    assert made.uses == {} and found.xmp.data_mining == "DMI-PROHIBITED"


# --- what downloads serve --------------------------------------------------------------


def test_a_download_serves_the_copy_with_its_terms_and_says_so_in_headers(
    api_client, artist, buyer
):
    work = offered_work(artist, "JPEG", seed=4)
    base_asset = stored_asset()
    fund(buyer, 1_000_000)
    sign_in(api_client, buyer)
    response = download(api_client, [work.asset_id])
    assert response.status_code == 201, response.json()
    policy = f"{BASE}/policies/{work.asset_id}.jsonld"
    assert response["tdm-reservation"] == "1" and response["tdm-policy"] == policy
    made = OfferFile.objects.get(offer__work=work)  # made on the spot: no task ran
    [item] = response.json()["downloads"]
    api_client.credentials()
    served = api_client.get(item["url"])
    body = b"".join(served.streaming_content)
    assert body == stored(made.key) and body != stored(work.asset.original_key)
    assert served["tdm-reservation"] == "1" and served["tdm-policy"] == policy
    # Our own reader, given the file response's headers, reads the reservation.
    [signal] = header_signals(httpx.Headers(dict(served.items())), url=item["url"],
                              read_at=timezone.now())  # fmt: skip
    assert signal.uses == dict.fromkeys(USES, RESERVED) and signal.detail["policy"] == policy

    # A base-set file is served as cloned, and reserves nothing.
    sign_in(api_client, buyer)
    free = download(api_client, [base_asset.pk])
    assert free["tdm-reservation"] == "0" and "tdm-policy" not in free
    api_client.credentials()
    original = api_client.get(free.json()["downloads"][0]["url"])
    assert b"".join(original.streaming_content) == stored(base_asset.original_key)
    assert original["tdm-reservation"] == "0"


def test_a_new_offer_gets_a_new_copy_and_earlier_grants_keep_theirs(api_client, artist, buyer):
    work = offered_work(artist, "PNG", seed=5)
    fund(buyer, 1_000_000)
    sign_in(api_client, buyer)
    download(api_client, [work.asset_id])
    first = OfferFile.objects.get(offer__work=work)
    offer_set(owner=artist, work_id=work.pk, price_micros=90_000, allow_research=True,
              allow_commercial=False, terms_version=current_terms().version)  # fmt: skip
    grant = DownloadGrant.objects.get(buyer=buyer)
    assert served_file(grant).key == first.key  # bought under the first offer
    newer = OfferFile.objects.filter(offer__work=work).exclude(pk=first.pk)
    assert not newer.exists()  # made when the new offer's task runs, or its first grant
    second = offer_file_make(work.offers.get(ended_at__isnull=True).pk)
    assert second.uses == dict.fromkeys(USES, 90_000)


def test_a_presigned_s3_link_serves_the_copy(api_client, artist, buyer, s3_storage):  # noqa: F811
    work = offered_work(artist, "JPEG", seed=6)
    fund(buyer, 1_000_000)
    sign_in(api_client, buyer)
    response = download(api_client, [work.asset_id])
    [item] = response.json()["downloads"]
    made = OfferFile.objects.get(offer__work=work)
    assert f"/{made.key}?" in item["url"]
    fetched = httpx.get(item["url"], timeout=10)
    assert fetched.status_code == 200
    found = embedded_signals(fetched.content, read_at=timezone.now())
    assert found.xmp.data_mining == "DMI-ALLOWED"


def test_the_web_zip_and_the_manifest_carry_the_copy(artist, buyer):
    work = offered_work(artist, "JPEG", seed=7)
    fund(buyer, 1_000_000)
    client = Client()
    client.force_login(buyer)
    form = {"asset": [work.asset_id], "step": "confirm", "purpose": "research",
            "key": "5a0b1f2e-0000-4000-8000-000000000001"}  # fmt: skip
    done = client.get(client.post("/license/", form)["Location"]).content.decode()
    zipped = client.get(re.search(r'href="(/license/\w+/files\.zip)"', done).group(1))
    assert zipped["tdm-reservation"] == "1"
    assert zipped["tdm-policy"] == f"{BASE}/policies/{work.asset_id}.jsonld"
    made = OfferFile.objects.get(offer__work=work)
    body = b"".join(zipped.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.read(f"asset-{work.asset_id}.jpg") == stored(made.key)

    manifest = ManifestExport.objects.create(buyer=buyer, format="jsonl", base_url=BASE,
                                             link_seconds=3600)  # fmt: skip
    [row] = manifest_rows(manifest)
    assert row["hash"] == made.sha256 != work.asset.sha256


def test_deleting_a_work_deletes_its_copies(artist, django_capture_on_commit_callbacks):
    work = offered_work(artist, "JPEG", seed=8)
    made = offer_file_make(work.offers.get().pk)
    assert default_storage.exists(made.key)
    with django_capture_on_commit_callbacks(execute=True):
        work_delete(owner=artist, work_id=work.pk)
    assert not OfferFile.objects.exists() and not default_storage.exists(made.key)


def test_remaking_after_a_key_is_configured_signs_current_offers_only(
    artist, settings, authority, django_capture_on_commit_callbacks
):
    ended = offered_work(artist, "JPEG", seed=12)
    first = offer_file_make(ended.offers.get().pk)
    offer_set(owner=artist, work_id=ended.pk, price_micros=5_000, allow_research=True,
              allow_commercial=True, terms_version=current_terms().version)  # fmt: skip
    current = offered_work(artist, "PNG", seed=13)
    unsigned = offer_file_make(current.offers.get().pk)
    assert not unsigned.signed
    settings.C2PA_SIGNING_CERT = str(authority.chain_path)
    settings.C2PA_SIGNING_KEY = str(authority.key_path)

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("remake_offer_files", stdout=out)
    assert "2 offer files made again" in out.getvalue()  # the two current offers
    remade = OfferFile.objects.get(offer__work=current)
    assert remade.signed and remade.key != unsigned.key
    assert not default_storage.exists(unsigned.key)  # the unsigned copy is gone
    assert OfferFile.objects.get(pk=first.pk).key == first.key  # an ended offer's stays
    report = c2pa_report(stored(remade.key), "image/png",
                         trust_anchors_path=str(authority.anchors_path))  # fmt: skip
    assert report.state == "Trusted"
