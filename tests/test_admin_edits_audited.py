"""Staff edits in the admin go through services and leave an audit-log event naming the
staff member, what changed and their note: an asset's words and license, a wallet's
freeze, the current terms version. Fields that are decisions or system-written (an
asset's status, its file) cannot be changed by hand."""

import pytest

from billing.models import Account
from billing.selectors import wallet_of
from catalog.models import Asset, AssetStatus
from marketplace.models import Role, TermsVersion
from marketplace.offers import current_terms
from provenance.models import EventKind, ProvenanceEvent
from tests.marketplace.factories import stored_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, make_user):
    boss = make_user("boss", role=Role.MODERATOR, is_staff=True, is_superuser=True)
    client.force_login(boss)
    return client


def change_form(asset: Asset, **changes) -> dict:
    form = {
        "title": asset.title, "creator": asset.creator, "creator_url": asset.creator_url,
        "description": asset.description, "creation_date": asset.creation_date,
        "institution": asset.institution, "tags": '["harbour"]', "license": asset.license,
        "note": "",
    }  # fmt: skip
    return {**form, **changes}


def test_an_asset_edit_is_audited_with_the_staff_member_and_the_note(staff):
    asset = stored_asset(title="Harbor", license="cc0-1.0", tags=["harbour"])
    url = f"/admin/catalog/asset/{asset.pk}/change/"
    form = change_form(asset, title="Harbour at dawn", license="pdm-1.0",
                       note="The museum marks it PDM, not CC0.")  # fmt: skip
    response = staff.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    asset.refresh_from_db()
    assert (asset.title, asset.license) == ("Harbour at dawn", "pdm-1.0")
    event = ProvenanceEvent.objects.get(asset_id=asset.pk, kind=EventKind.STAFF_ASSET_EDITED)
    assert event.actor == "boss"
    assert event.data == {
        "changes": {"title": ["Harbor", "Harbour at dawn"], "license": ["cc0-1.0", "pdm-1.0"]},
        "note": "The museum marks it PDM, not CC0.",
    }


def test_a_license_change_without_a_note_is_refused_and_changes_nothing(staff):
    asset = stored_asset(license="cc0-1.0", tags=["harbour"])
    response = staff.post(
        f"/admin/catalog/asset/{asset.pk}/change/", change_form(asset, license="pdm-1.0")
    )
    assert response.status_code == 200
    assert "Say why the license changes" in response.content.decode()
    asset.refresh_from_db()
    assert asset.license == "cc0-1.0"
    assert not ProvenanceEvent.objects.filter(kind=EventKind.STAFF_ASSET_EDITED).exists()


def test_status_and_file_fields_cannot_be_edited_by_hand(staff):
    asset = stored_asset(tags=["harbour"])
    key = asset.original_key
    form = change_form(asset, status=AssetStatus.TAKEN_DOWN, original_key="originals/x",
                       sha256="0" * 64)  # fmt: skip
    assert staff.post(f"/admin/catalog/asset/{asset.pk}/change/", form).status_code == 302
    asset.refresh_from_db()
    assert (asset.status, asset.original_key) == (AssetStatus.PUBLISHED, key)
    page = staff.get(f"/admin/catalog/asset/{asset.pk}/change/").content.decode()
    assert 'name="status"' not in page and 'name="sha256"' not in page
    assert 'name="license"' in page and 'name="note"' in page


def test_lifting_a_wallet_freeze_is_audited(staff, make_user):
    buyer = make_user("bea", role=Role.BUYER)
    wallet = wallet_of(buyer)
    Account.objects.filter(pk=wallet.pk).update(frozen=True, frozen_reason="dispute dp_1")
    staff.post(
        "/admin/billing/account/",
        {"action": "unfreeze", "_selected_action": [wallet.pk], "note": "Dispute won."},
    )
    event = ProvenanceEvent.objects.get(kind=EventKind.STAFF_WALLET_UNFROZEN)
    assert event.actor == "boss"
    assert event.data == {"account_id": wallet.pk, "owner_id": buyer.pk,
                          "was_frozen_for": "dispute dp_1", "note": "Dispute won."}  # fmt: skip
    assert not Account.objects.get(pk=wallet.pk).frozen


def test_making_a_terms_version_current_is_audited(staff):
    old = current_terms()
    new = TermsVersion.objects.create(version="2027-01", title="Training License", text="New.")
    staff.post(
        "/admin/marketplace/termsversion/",
        {"action": "make_current", "_selected_action": [new.pk], "note": "Generative uses."},
    )
    assert current_terms() == new
    event = ProvenanceEvent.objects.get(kind=EventKind.STAFF_TERMS_CURRENT)
    assert (event.actor, event.data) == (
        "boss",
        {"version": "2027-01", "previous": [old.version], "note": "Generative uses."},
    )
