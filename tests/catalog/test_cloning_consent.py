"""Consent signals at clone time, against a real HTTP server on loopback: a reservation of
training anywhere (the host's tdmrep.json or robots.txt, the response's headers, the
file's XMP or C2PA manifest) rejects the asset with its evidence; a look-up that fails
leaves it waiting, and the recorded decision says so."""

import json

import pytest

from catalog.models import Asset
from provenance.models import ProvenanceEvent
from tests.catalog.consent.files import image, make_authority, signed_by_someone, tampered, xmp
from tests.catalog.images import jpeg
from tests.catalog.test_cloning import STORED, candidate_asset, clone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_clone_settings(settings):
    settings.CLONE_CONCURRENCY = 4
    settings.CLONE_BATCH_SIZE = 50
    settings.INGEST_HTTP_ATTEMPTS = 2


def outcome(asset: Asset) -> tuple[str, str]:
    asset.refresh_from_db()
    return asset.status, asset.rejection_reason


def event(asset: Asset, kind: str) -> ProvenanceEvent:
    return ProvenanceEvent.objects.get(asset_id=asset.pk, kind=kind)


def test_a_tdmrep_reservation_rejects_without_downloading(local_server):
    local_server.add("/.well-known/tdmrep.json", body=json.dumps([
        {"location": "/collection/*", "tdm-reservation": 1,
         "tdm-policy": "https://museum.example/tdm-policy.json"},
        {"location": "/", "tdm-reservation": 0}]).encode())  # fmt: skip
    reserved = candidate_asset(local_server.add("/collection/a.jpg", body=jpeg(1)))
    free = candidate_asset(local_server.add("/open/b.jpg", body=jpeg(2)))
    report = clone()
    assert outcome(reserved) == ("rejected", "opt_out_tdmrep")
    assert local_server.hits["/collection/a.jpg"] == 0  # never fetched
    assert outcome(free) == ("candidate", "")
    assert report.rejected_ids == {str(reserved.pk): "opt_out_tdmrep"}

    consent = event(reserved, "clone.rejected").data["consent"]
    assert consent["uses"]["ai_generative_training"] == "reserved"
    (signal,) = consent["signals"]
    assert signal["kind"] == "tdmrep_json" and signal["location"] == "tdmrep.json"
    assert signal["url"] == local_server.base_url + "/.well-known/tdmrep.json"
    assert signal["detail"] == {"policy": "https://museum.example/tdm-policy.json"}
    assert json.loads(signal["raw"])["location"] == "/collection/*"
    assert signal["read_at"]
    assert event(free, "clone.done").data["consent"]["uses"]["ai_training"] == "allowed"


def test_robots_txt_disallowing_us_or_ai_crawlers_rejects(local_server):
    local_server.add("/robots.txt", body=b"User-agent: OptInMediaMarketplaceBot\n"
                     b"Disallow: /private/\n\nUser-agent: GPTBot\nDisallow: /art/\n")  # fmt: skip
    ours = candidate_asset(local_server.add("/private/a.jpg", body=jpeg(3)))
    gpt = candidate_asset(local_server.add("/art/b.jpg", body=jpeg(4)))
    clone()
    assert outcome(ours) == ("rejected", "opt_out_robots")
    assert outcome(gpt) == ("rejected", "opt_out_robots")
    (signal,) = event(gpt, "clone.rejected").data["consent"]["signals"]
    assert signal["detail"] == {"agents": ["GPTBot"]}
    assert local_server.hits["/private/a.jpg"] == local_server.hits["/art/b.jpg"] == 0


def test_a_content_usage_header_rejects(local_server):
    asset = candidate_asset(local_server.add("/a.jpg", body=jpeg(5),
                                             headers={"Content-Usage": "train-ai=n"}))  # fmt: skip
    clone()
    assert outcome(asset) == ("rejected", "opt_out_header")
    (signal,) = event(asset, "clone.rejected").data["consent"]["signals"]
    assert (signal["kind"], signal["raw"]) == ("content_usage_header", "train-ai=n")


def test_xmp_in_the_file_reserving_training_rejects_and_stores_nothing(local_server):
    data = image("JPEG", packet=xmp(data_mining="DMI-PROHIBITED-GENAIMLTRAINING"))
    asset = candidate_asset(local_server.add("/a.jpg", body=data))
    clone()
    assert outcome(asset) == ("rejected", "opt_out_embedded")
    asset.refresh_from_db()
    assert not asset.original_key
    (signal,) = event(asset, "clone.rejected").data["consent"]["signals"]
    assert signal["kind"] == "iptc_plus_data_mining"
    assert signal["uses"] == {"ai_generative_training": "reserved"}


def test_a_c2pa_reservation_rejects_and_a_tampered_one_is_kept_as_evidence(local_server, tmp_path):
    authority = make_authority(tmp_path)
    entries = {"cawg.ai_training": {"use": "notAllowed"}}
    signed = signed_by_someone(image("PNG", seed=6), "PNG", authority, entries)
    reserved = candidate_asset(local_server.add("/signed.png", body=signed))
    broken = tampered(signed_by_someone(image("JPEG", seed=7), "JPEG", authority, entries))
    invalid = candidate_asset(local_server.add("/tampered.jpg", body=broken))
    clone()
    assert outcome(reserved) == ("rejected", "opt_out_embedded")
    assert outcome(invalid) == ("candidate", "")  # stored: an invalid manifest is not relied on
    (signal,) = event(invalid, "clone.done").data["consent"]["signals"]
    assert signal["valid"] is False and signal["kind"] == "cawg_training_mining"
    assert "assertion.dataHash.mismatch" in signal["detail"]["failure_codes"]


def test_a_failed_look_up_leaves_the_asset_waiting_then_it_is_decided(local_server, settings):
    settings.CLONE_MAX_ATTEMPTS = 5
    local_server.add("/.well-known/tdmrep.json", body=b"[]", failures=[503, 503])
    asset = candidate_asset(local_server.add("/a.jpg", body=jpeg(8)))
    report = clone()
    asset.refresh_from_db()
    assert (asset.status, asset.clone_state, asset.clone_attempts) == ("candidate", "failed", 1)
    assert "consent unknown" in asset.clone_error
    assert local_server.hits["/a.jpg"] == 0 and report.errors == 1
    failed = event(asset, "clone.failed")
    assert failed.reason == "consent_unknown"
    assert failed.data["consent"]["uses"]["ai_training"] == "unknown"
    (failure,) = failed.data["consent"]["failures"]
    assert failure["location"] == "tdmrep.json" and "503" in failure["error"]

    clone()  # the host answers now
    asset.refresh_from_db()
    assert (asset.status, asset.clone_state) == STORED


def test_cloning_many_images_from_one_host_reads_its_files_once(local_server):
    local_server.add("/robots.txt", body=b"User-agent: *\nAllow: /\n")
    assets = [candidate_asset(local_server.add(f"/{i}.jpg", body=jpeg(100 + i)))
              for i in range(30)]  # fmt: skip
    clone()
    assert local_server.hits["/robots.txt"] == 1
    assert local_server.hits["/.well-known/tdmrep.json"] == 1
    assert all(outcome(a) == ("candidate", "") for a in assets)


def test_a_stored_asset_records_that_nothing_reserved_it(local_server):
    asset = candidate_asset(local_server.add("/a.jpg", body=jpeg(9)))
    clone()
    consent = event(asset, "clone.done").data["consent"]
    assert consent["uses"] == dict.fromkeys(
        ["data_mining", "ai_inference", "ai_generative_training", "ai_training"], "unspecified"
    )
    assert consent["signals"] == [] and consent["failures"] == []


def test_a_reader_failing_on_one_file_fails_that_asset_only(local_server, monkeypatch):
    from catalog import clone_consent

    real = clone_consent.after_download

    def flaky(source, failures, response, data, *, url, **kwargs):
        if url.endswith("/odd.jpg"):
            raise RuntimeError("unexpected structure")
        return real(source, failures, response, data, url=url, **kwargs)

    monkeypatch.setattr(clone_consent, "after_download", flaky)
    odd = candidate_asset(local_server.add("/odd.jpg", body=jpeg(10)))
    fine = candidate_asset(local_server.add("/fine.jpg", body=jpeg(11)))
    clone()
    odd.refresh_from_db()
    assert (odd.clone_state, odd.clone_error) == (
        "failed",
        "consent: RuntimeError: unexpected structure",
    )
    assert outcome(fine) == ("candidate", "")
