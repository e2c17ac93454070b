"""What we write into the files we serve: our terms in XMP, losslessly, in every format we
serve, and a signed C2PA manifest; each read back with our readers, with Pillow, with
c2pa-python and with exiftool."""

import io
import json
import shutil
import subprocess

import c2pa
import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from catalog.consent.containers import find_xmp
from catalog.consent.embedded import embedded_signals
from catalog.consent.signing import SigningNotConfigured, signer_from_files, signer_from_settings
from catalog.consent.writers import c2pa_signed, xmp_with_terms
from catalog.consent.xmp import dmi_for_uses, parse_xmp
from tests.catalog.consent.files import FORMATS, MIME, image, picture_data, pixels, xmp

OFFER = "https://market.example/works/42/offer/"
LICENSE = "https://market.example/terms/training-license/3/"
ALL = ["data_mining", "ai_inference", "ai_generative_training", "ai_training"]


def read(data, **kwargs):
    return embedded_signals(data, read_at=timezone.now(), **kwargs)


@pytest.mark.parametrize("fmt", FORMATS)
def test_terms_are_written_losslessly_and_read_back(fmt):
    original = image(fmt, seed=3)
    written = xmp_with_terms(original, ["data_mining", "ai_inference"], OFFER)
    assert picture_data(written) == picture_data(original)  # the compressed picture, as is
    assert pixels(written) == pixels(original)
    found = read(written)
    (signal,) = found.signals
    assert signal.raw == "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"
    assert signal.uses == {"ai_generative_training": "reserved", "ai_training": "reserved"}
    assert found.xmp.web_statement == OFFER
    assert OFFER in found.xmp.usage_terms and "data_mining, ai_inference" in found.xmp.usage_terms
    assert found.xmp.marked == "True"


@pytest.mark.parametrize("fmt", FORMATS)
def test_pillow_reads_what_we_write(fmt):
    written = xmp_with_terms(image(fmt), ALL, OFFER)
    with Image.open(io.BytesIO(written)) as im:
        im.load()
        packet = im.getxmp()
    description = packet["xmpmeta"]["RDF"]["Description"]
    assert description["DataMining"] == "http://ns.useplus.org/ldf/vocab/DMI-ALLOWED"
    assert description["WebStatement"] == OFFER


def test_existing_xmp_is_replaced_not_duplicated():
    original = image("JPEG", packet=xmp(data_mining="DMI-ALLOWED", creators=["Someone"]))
    written = xmp_with_terms(original, [], OFFER)
    assert written.count(b"http://ns.adobe.com/xap/1.0/\x00") == 1
    assert parse_xmp(find_xmp(written)).data_mining == "DMI-PROHIBITED"
    assert picture_data(written) == picture_data(original)


def test_a_simple_webp_becomes_extended_with_its_alpha_kept():
    original = image("WEBP", mode="RGBA")
    assert b"VP8X" not in original[:40]  # Pillow wrote a simple (lossy, alpha) file
    written = xmp_with_terms(original, ALL, OFFER)
    assert written[12:16] == b"VP8X" and written[20] & 0x04  # the XMP flag
    assert pixels(written) == pixels(original)


@pytest.mark.parametrize(
    ("uses", "value"),
    [
        (ALL, "DMI-ALLOWED"),
        ([], "DMI-PROHIBITED"),
        (["data_mining", "ai_inference", "ai_training"], "DMI-PROHIBITED-GENAIMLTRAINING"),
        (["data_mining", "ai_inference"], "DMI-PROHIBITED-AIMLTRAINING"),
        (["ai_generative_training"], "DMI-PROHIBITED-SEECONSTRAINT"),
    ],
)
def test_uses_map_to_the_closest_plus_value(uses, value):
    assert dmi_for_uses(uses) == value


def test_unknown_uses_are_refused():
    with pytest.raises(ValueError, match="unknown uses: research"):
        xmp_with_terms(image("PNG"), ["research"], OFFER)


@pytest.mark.parametrize("fmt", FORMATS)
def test_exiftool_reads_what_we_write(fmt, tmp_path):
    exiftool = shutil.which("exiftool")
    assert exiftool, "exiftool is missing: `make test` installs it (libimage-exiftool-perl)"
    path = tmp_path / f"served.{fmt.lower()}"
    path.write_bytes(xmp_with_terms(image(fmt), ["data_mining", "ai_inference"], OFFER))
    out = subprocess.run(
        [exiftool, "-j", "-n", "-XMP-plus:DataMining", "-XMP-xmpRights:WebStatement",
         "-warning", "-error", str(path)],
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    (tags,) = json.loads(out.stdout)
    assert tags["DataMining"] == "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"
    assert tags["WebStatement"] == OFFER
    assert "Warning" not in tags and "Error" not in tags


# --- C2PA ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
def test_a_signed_manifest_states_our_uses_and_license(authority, fmt):
    original = image(fmt)
    signed = c2pa_signed(original, MIME[fmt], ["ai_training"], LICENSE, authority.signer())
    assert pixels(signed) == pixels(original)
    if fmt != "TIFF":  # a TIFF's strips may move when the manifest tag is added
        assert picture_data(signed) == picture_data(original)

    with c2pa.Reader(MIME[fmt], io.BytesIO(signed)) as reader:
        store = json.loads(reader.json())
    manifest = store["manifests"][store["active_manifest"]]
    (assertion,) = [a for a in manifest["assertions"] if a["label"] == "cawg.training-mining"]
    assert assertion["data"]["entries"]["cawg.ai_training"] == {
        "use": "constrained", "constraint_info": LICENSE
    }  # fmt: skip
    assert assertion["data"]["entries"]["cawg.ai_generative_training"] == {"use": "notAllowed"}

    found = read(signed, trust_anchors_path=str(authority.anchors_path))
    assert found.c2pa.state == "Trusted"
    (signal,) = found.signals
    # constrained reads as a reservation: allowed only under our license.
    assert set(signal.uses.values()) == {"reserved"} and len(signal.uses) == 4


def test_xmp_then_signature_both_read_back_valid(authority):
    served = xmp_with_terms(image("JPEG"), ALL, OFFER)
    signed = c2pa_signed(served, "image/jpeg", ALL, LICENSE, authority.signer())
    found = read(signed, trust_anchors_path=str(authority.anchors_path))
    assert found.c2pa.state == "Trusted"
    assert found.xmp.data_mining == "DMI-ALLOWED" and found.xmp.web_statement == OFFER
    assert picture_data(signed) == picture_data(served)


def test_the_demo_signing_key_signs_and_its_authority_trusts_it(tmp_path, settings):
    call_command("make_signing_key", "--folder", str(tmp_path))
    settings.C2PA_SIGNING_CERT = str(tmp_path / "signing-chain.pem")
    settings.C2PA_SIGNING_KEY = str(tmp_path / "signing-key.pem")
    signed = c2pa_signed(image("PNG"), "image/png", ALL, LICENSE, signer_from_settings())
    found = read(signed, trust_anchors_path=str(tmp_path / "authority.pem"))
    assert found.c2pa.state == "Trusted"
    assert found.c2pa.signer["common_name"] == "Local C2PA signer"
    with pytest.raises(Exception, match="already holds a signing key"):
        call_command("make_signing_key", "--folder", str(tmp_path))


def test_signing_without_a_key_says_what_to_do(settings, tmp_path):
    settings.C2PA_SIGNING_CERT, settings.C2PA_SIGNING_KEY = "", ""
    with pytest.raises(SigningNotConfigured, match="C2PA_SIGNING_CERT"):
        signer_from_settings()
    settings.C2PA_SIGNING_CERT = str(tmp_path / "missing.pem")
    settings.C2PA_SIGNING_KEY = str(tmp_path / "missing-key.pem")
    with pytest.raises(SigningNotConfigured, match="make_signing_key"):
        signer_from_settings()


def test_a_test_authority_files_make_a_signer(authority):
    signer = signer_from_files(authority.chain_path, authority.key_path)
    signed = c2pa_signed(image("JPEG"), "image/jpeg", [], LICENSE, signer)
    assert read(signed).c2pa.valid
