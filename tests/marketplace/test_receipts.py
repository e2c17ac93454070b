"""License receipts: signed with the platform's Ed25519 key, verifiable offline by anyone
with the published keys, through key rotations; one changed byte and they fail."""

import base64
import hashlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from common.receipt_verify import ReceiptInvalid, signed_bytes, verify_receipt
from marketplace.models import ReceiptKey, Role
from tests.auth import sign_in
from tests.billing.conftest import fund
from tests.marketplace.factories import opt_in_work, stored_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(make_user):
    return make_user("bob", role=Role.BUYER)


def license_(client, asset_ids, **headers):
    response = client.post("/api/v1/downloads/", {"asset_ids": asset_ids, "purpose": "research"},
                           format="json", **headers)  # fmt: skip
    assert response.status_code == 201, response.json()
    return response.json()


def served_sha256(client, url: str) -> str:
    """The hash of the bytes the download link serves (an opt-in work's copy, with its
    terms written in)."""
    response = client.get(url)
    assert response.status_code == 200
    return hashlib.sha256(b"".join(response.streaming_content)).hexdigest()


def published_keys(client) -> dict:
    response = client.get("/.well-known/receipt-keys.json")
    assert response.status_code == 200
    return response.json()


def test_a_download_comes_with_a_receipt_anyone_can_verify(api_client, buyer, make_user):
    base = stored_asset()
    work = opt_in_work(make_user("ada", role=Role.RIGHTS_HOLDER), price_micros=20_000)
    fund(buyer, 1_000_000)
    sign_in(api_client, buyer)
    body = license_(api_client, [base.pk, work.asset.pk])
    receipt = body["receipt"]
    payload = receipt["payload"]
    grants = {g["asset_id"]: g for g in payload["grants"]}
    assert payload["buyer_id"] == buyer.pk and payload["receipt_id"].startswith("rcpt_")
    assert grants[work.asset.pk] == {
        "grant_id": buyer.grants.get(asset=work.asset).pk,
        "asset_id": work.asset.pk,
        "sha256": served_sha256(api_client, body["downloads"][1]["url"]),
        "use": None,
        "purpose": "research",
        "price_micros": 20_000,
        "fee_micros": 1_000,
        "terms_version": body["downloads"][1]["terms_version"],
    }
    assert grants[base.pk]["price_micros"] == 0 and grants[base.pk]["terms_version"] == ""
    assert set(payload["audit_log_head"]) == {"sequence", "hash"}

    keys = published_keys(api_client.__class__())  # no sign-in needed
    [key] = keys["keys"]
    assert key["algorithm"] == "Ed25519" and key["valid_until"] is None
    assert len(base64.b64decode(key["public_key"])) == 32
    verified = verify_receipt(receipt, keys)
    assert verified.grants == 2 and verified.key_id == receipt["key_id"] == key["key_id"]
    # The owner reads it again; nobody else does.
    again = api_client.get(f"/api/v1/receipts/{payload['receipt_id']}/")
    assert again.status_code == 200 and again.json() == receipt
    sign_in(api_client, make_user("eve", role=Role.BUYER))
    assert api_client.get(f"/api/v1/receipts/{payload['receipt_id']}/").status_code == 404


def test_a_replayed_request_returns_the_same_receipt(api_client, buyer):
    asset = stored_asset()
    sign_in(api_client, buyer)
    first = license_(api_client, [asset.pk], HTTP_IDEMPOTENCY_KEY="k-1")
    second = license_(api_client, [asset.pk], HTTP_IDEMPOTENCY_KEY="k-1")
    assert first["receipt"] == second["receipt"]


def flipped(text: str, index: int) -> str:
    char = text[index]
    return text[:index] + ("1" if char != "1" else "2") + text[index + 1 :]


def test_one_changed_byte_fails(api_client, buyer):
    sign_in(api_client, buyer)
    receipt = license_(api_client, [stored_asset().pk, stored_asset().pk])["receipt"]
    keys = published_keys(api_client)
    verify_receipt(receipt, keys)
    canonical = signed_bytes(receipt["payload"]).decode()
    changed = 0
    for index, char in enumerate(canonical):
        if not char.isalnum():  # keep it JSON: change letters and digits only
            continue
        try:
            payload = json.loads(flipped(canonical, index))
        except ValueError:
            continue
        with pytest.raises(ReceiptInvalid):
            verify_receipt({**receipt, "payload": payload}, keys)
        changed += 1
    assert changed > 100
    signature = base64.b64decode(receipt["signature"])
    for index in range(0, len(signature), 7):
        bad = bytearray(signature)
        bad[index] ^= 0x01
        with pytest.raises(ReceiptInvalid, match="does not match"):
            verify_receipt({**receipt, "signature": base64.b64encode(bad).decode()}, keys)
    with pytest.raises(ReceiptInvalid, match="not among the published keys"):
        verify_receipt({**receipt, "key_id": "rk_someone_else"}, keys)


def test_rotation_keeps_old_receipts_valid_and_signs_new_ones_with_the_new_key(
    api_client, buyer, capsys
):
    sign_in(api_client, buyer)
    old = license_(api_client, [stored_asset().pk])["receipt"]
    call_command("rotate_receipt_key")
    assert "Receipts are now signed with rk_" in capsys.readouterr().out
    new = license_(api_client, [stored_asset().pk])["receipt"]
    keys = published_keys(api_client)
    assert len(keys["keys"]) == 2
    first, second = keys["keys"]
    assert first["valid_until"] == second["valid_from"] and second["valid_until"] is None
    assert old["key_id"] == first["key_id"] and new["key_id"] == second["key_id"]
    verify_receipt(old, keys)
    verify_receipt(new, keys)
    # A receipt dated after its key was rotated out does not verify (nor could anyone
    # sign one: the payload's date is signed).
    late = {**old, "payload": {**old["payload"], "issued_at": second["valid_from"]}}
    with pytest.raises(ReceiptInvalid):
        verify_receipt(late, keys)


def test_the_private_key_is_kept_encrypted(settings):
    from marketplace.receipts import receipt_key_current

    key = receipt_key_current()
    assert key.private_key_encrypted.startswith("gAAAAA")  # a Fernet token
    settings.RECEIPT_KEY_SECRET = "another secret entirely, not the one it was sealed with"
    from cryptography.fernet import InvalidToken

    from marketplace.receipts import _private

    with pytest.raises(InvalidToken):
        _private(ReceiptKey.objects.get(pk=key.pk))


def test_the_verify_command_checks_a_file_against_a_keys_file(api_client, buyer, tmp_path,
                                                               capsys):  # fmt: skip
    sign_in(api_client, buyer)
    answer = license_(api_client, [stored_asset().pk])
    receipt_file, keys_file = tmp_path / "receipt.json", tmp_path / "keys.json"
    receipt_file.write_text(json.dumps(answer["receipt"]))
    keys_file.write_text(json.dumps(published_keys(api_client)))
    call_command("verify_receipt", str(receipt_file), keys=str(keys_file))
    assert "verifies" in capsys.readouterr().out
    (tmp_path / "answer.json").write_text(json.dumps(answer))  # a whole download answer
    call_command("verify_receipt", str(tmp_path / "answer.json"))

    text = receipt_file.read_text()
    position = text.index('"price_micros": 0') + len('"price_micros": ')
    receipt_file.write_text(text[:position] + "1" + text[position + 1 :])
    with pytest.raises(CommandError, match="does NOT verify") as error:
        call_command("verify_receipt", str(receipt_file), keys=str(keys_file))
    assert error.value.returncode == 1


@pytest.mark.django_db(transaction=True)
def test_the_verify_command_reads_the_keys_from_the_sites_url(live_server, make_user, tmp_path,
                                                              capsys):  # fmt: skip
    from marketplace.downloads import downloads_grant
    from marketplace.receipts import receipt_body

    buyer = make_user("bob", role=Role.BUYER)
    result = downloads_grant(buyer=buyer, asset_ids=[stored_asset().pk], purpose="research")
    receipt_file = tmp_path / "receipt.json"
    receipt_file.write_text(json.dumps(receipt_body(result.receipt)))
    url = f"{live_server.url}/.well-known/receipt-keys.json"
    call_command("verify_receipt", str(receipt_file), keys=url)
    assert "verifies" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Cannot read the keys"):
        call_command("verify_receipt", str(receipt_file), keys=f"{live_server.url}/nowhere.json")
