"""Signals inside the file, read from real images: XMP written by Pillow in each format,
IPTC-IIM, and C2PA manifests signed with a test authority (valid, trusted, tampered)."""

import pytest
from django.utils import timezone

from catalog.consent.decision import decide
from catalog.consent.embedded import embedded_signals, other_creators
from catalog.consent.vocabulary import ALLOWED, RESERVED
from tests.catalog.consent.files import (
    FORMATS,
    image,
    iptc_jpeg,
    signed_by_someone,
    tampered,
    xmp,
)

NOW = timezone.now()


def read(data: bytes, **kwargs):
    return embedded_signals(data, read_at=NOW, url="https://museum.example/a.jpg", **kwargs)


@pytest.mark.parametrize("fmt", FORMATS)
def test_plus_data_mining_is_read_in_every_format(fmt):
    found = read(image(fmt, packet=xmp(data_mining="DMI-PROHIBITED-AIMLTRAINING")))
    (signal,) = found.signals
    assert (signal.kind, signal.location) == ("iptc_plus_data_mining", "file")
    assert signal.uses == {"ai_generative_training": RESERVED, "ai_training": RESERVED}
    assert signal.raw == "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"
    assert signal.read_at == NOW and signal.url == "https://museum.example/a.jpg"
    decision = decide(found.signals)
    assert decision.training_reserved
    assert decision.state("data_mining") == "unspecified"


@pytest.mark.parametrize(
    ("value", "reserved", "allowed"),
    [
        ("DMI-UNSPECIFIED", set(), set()),
        ("DMI-ALLOWED", set(), {"data_mining", "ai_inference", "ai_generative_training",
                                "ai_training"}),
        ("DMI-PROHIBITED-GENAIMLTRAINING", {"ai_generative_training"}, set()),
        ("DMI-PROHIBITED", {"data_mining", "ai_inference", "ai_generative_training",
                            "ai_training"}, set()),
        ("DMI-PROHIBITED-SEECONSTRAINT", {"data_mining", "ai_inference",
                                          "ai_generative_training", "ai_training"}, set()),
        ("DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", {"data_mining", "ai_inference",
                                                       "ai_generative_training", "ai_training"},
         set()),
    ],
)  # fmt: skip
def test_each_plus_value_says_what_it_means(value, reserved, allowed):
    (signal,) = read(image("JPEG", packet=xmp(data_mining=value))).signals
    assert {use for use, state in signal.uses.items() if state == RESERVED} == reserved
    assert {use for use, state in signal.uses.items() if state == ALLOWED} == allowed


def test_the_attribute_form_and_a_bare_code_are_read_too():
    packet = xmp(data_mining="DMI-PROHIBITED", attribute_form=True)
    (signal,) = read(image("PNG", packet=packet)).signals
    assert set(signal.uses.values()) == {RESERVED}
    bare = xmp(extra="   <plus:DataMining>DMI-PROHIBITED-GENAIMLTRAINING</plus:DataMining>\n")
    (signal,) = read(image("JPEG", packet=bare)).signals
    assert signal.uses == {"ai_generative_training": RESERVED}


def test_an_unknown_value_is_kept_but_says_nothing():
    packet = xmp(extra="   <plus:DataMining>please-ask-me</plus:DataMining>\n")
    (signal,) = read(image("JPEG", packet=packet)).signals
    assert signal.uses == {} and signal.raw == "please-ask-me"
    assert not decide([signal]).training_reserved


def test_creators_rights_and_contact_come_from_xmp_and_iptc():
    packet = xmp(creators=["Ada Lovelace", "Charles Babbage"], rights="© 2026 Ada Lovelace",
                 contact_email="ada@example.org")  # fmt: skip
    found = read(image("WEBP", packet=packet))
    assert found.creators == ("Ada Lovelace", "Charles Babbage")
    assert found.rights == ("© 2026 Ada Lovelace",)
    assert found.xmp.creator_contact == {"CiEmailWork": "ada@example.org"}
    assert "Ada Lovelace" in found.raw_metadata()["xmp"]
    assert other_creators(found, ["  ada  LOVELACE"]) == ("Charles Babbage",)

    from_iim = read(iptc_jpeg("Grace Hopper", "Copyright Grace Hopper"))
    assert from_iim.creators == ("Grace Hopper",)
    assert from_iim.rights == ("Copyright Grace Hopper",)
    assert from_iim.raw_metadata()["iptc"] == {
        "by_line": ["Grace Hopper"], "copyright_notice": ["Copyright Grace Hopper"]
    }  # fmt: skip
    assert from_iim.signals == ()


def test_a_damaged_xmp_packet_is_reported_not_fatal():
    found = read(image("JPEG", packet=b"<x:xmpmeta><rdf:RDF>not closed"))
    assert found.signals == () and found.xmp is None
    assert found.xmp_error and "not closed" in found.raw_metadata()["xmp"]


def test_an_xml_bomb_is_refused_without_expanding():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            b"&b;</x:xmpmeta>")  # fmt: skip
    found = read(image("PNG", packet=bomb))
    assert found.xmp is None and "DTD" in found.xmp_error


def test_files_without_metadata_say_nothing():
    for fmt in FORMATS:
        found = read(image(fmt))
        assert (found.signals, found.creators, found.c2pa) == ((), (), None)
    assert read(b"not an image").signals == ()


# --- C2PA ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("label", ["cawg.training-mining", "c2pa.training-mining"])
def test_a_training_mining_assertion_is_read_and_validated(authority, fmt, label):
    prefix = label.split(".")[0]
    entries = {
        f"{prefix}.ai_generative_training": {"use": "notAllowed"},
        f"{prefix}.ai_training": {"use": "constrained",
                                  "constraint_info": "https://artist.example/license"},
        f"{prefix}.ai_inference": {"use": "allowed"},
    }  # fmt: skip
    data = signed_by_someone(image(fmt), fmt, authority, entries, label=label)

    untrusted = read(data)  # intact, but its signer is on no trust list of ours
    (signal,) = untrusted.signals
    assert signal.kind == label.replace(".", "_").replace("-", "_")
    assert signal.valid and untrusted.c2pa.state == "Valid"
    assert "signingCredential.untrusted" in untrusted.c2pa.failure_codes
    assert signal.uses == {"ai_generative_training": RESERVED, "ai_training": RESERVED,
                           "ai_inference": ALLOWED}  # fmt: skip
    assert signal.detail["constraint_info"] == {"ai_training": "https://artist.example/license"}
    assert decide(untrusted.signals).training_reserved

    trusted = read(data, trust_anchors_path=str(authority.anchors_path))
    assert trusted.c2pa.state == "Trusted" and trusted.c2pa.failure_codes == ()
    assert trusted.c2pa.signer["common_name"] == "Test signer"
    assert trusted.c2pa.claim_generator.startswith("test-camera-app")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_tampered_manifest_is_invalid_recorded_and_not_relied_on(authority, fmt):
    entries = {"cawg.ai_generative_training": {"use": "notAllowed"},
               "cawg.data_mining": {"use": "allowed"}}  # fmt: skip
    data = tampered(signed_by_someone(image(fmt), fmt, authority, entries))
    found = read(data, trust_anchors_path=str(authority.anchors_path))
    assert found.c2pa.state == "Invalid"
    assert any(code.startswith("assertion.") for code in found.c2pa.failure_codes)
    (signal,) = found.signals
    assert not signal.valid
    assert signal.uses == {"ai_generative_training": RESERVED, "data_mining": ALLOWED}
    decision = decide(found.signals)
    # Neither its reservation nor its permission counts, but it stays in the evidence.
    assert not decision.training_reserved
    assert decision.state("data_mining") == "unspecified"
    (evidence,) = decision.as_evidence()["signals"]
    assert evidence["valid"] is False
    assert evidence["detail"]["failure_codes"] == list(found.c2pa.failure_codes)
    assert found.raw_metadata()["c2pa"]["state"] == "Invalid"


def test_xmp_and_c2pa_in_one_file_are_both_read(authority):
    data = image("PNG", packet=xmp(data_mining="DMI-ALLOWED"))
    data = signed_by_someone(data, "PNG", authority, {"cawg.ai_training": {"use": "notAllowed"}})
    found = read(data)
    assert {s.kind for s in found.signals} == {"iptc_plus_data_mining", "cawg_training_mining"}
    decision = decide(found.signals)
    # The most restrictive statement wins: XMP allows, the manifest reserves.
    assert decision.state("ai_training") == "reserved"
    assert decision.state("data_mining") == "allowed"
