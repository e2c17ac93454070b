"""Moderators' decisions on the review queue: what each one does to the asset, its flags,
its owner's work and the audit log, and what it refuses to do."""

import pytest
from django.core import mail

from catalog.holds import assets_hold
from catalog.models import Asset, AssetStatus
from marketplace.models import OwnershipDeclaration, Role, Work
from marketplace.offers import current_terms, offer_set
from moderation.decisions import Decision, assets_decide
from moderation.flags import flag_create
from moderation.models import Flag
from moderation.services import assets_score
from provenance.models import ProvenanceEvent
from tests.catalog.test_embargo import commons_api, commons_page, embargoed  # noqa: F401
from tests.marketplace.factories import opt_in_work, stored_asset
from tests.marketplace.test_downloads import client_for, download

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(make_user):
    return make_user("mo", role=Role.MODERATOR)


def held(asset: Asset) -> Asset:
    assets_hold(asset_ids=[asset.pk], actor="classifier", scores={asset.pk: 0.97},
                threshold=0.9)  # fmt: skip
    asset.refresh_from_db()
    return asset


def decide(decision, assets, moderator, note=""):
    return assets_decide(asset_ids=[a.pk for a in assets], decision=decision,
                         moderator=moderator, note=note)  # fmt: skip


def kinds(asset) -> list[str]:
    return list(
        ProvenanceEvent.objects.filter(asset_id=asset.pk)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def test_a_score_over_the_threshold_hides_the_asset_until_a_moderator_decides(
    api_client, make_user, stored_asset, settings
):
    from tests.catalog.images import jpeg

    asset = stored_asset(jpeg(7, (384, 288)))
    settings.MODERATION_HOLD_NSFW = 0.0  # every score is at or above it
    assert assets_score(asset_ids=[asset.pk]).newly_held == [asset.pk]
    asset.refresh_from_db()
    assert asset.status == AssetStatus.HELD

    assert api_client.get(f"/api/v1/assets/{asset.pk}/").status_code == 404
    buyer = client_for(api_client, make_user("bea", role=Role.BUYER))
    refused = download(buyer, [asset.pk])
    assert refused.status_code == 409
    assert refused.json()["error"]["fields"] == {str(asset.pk): ["under_review"]}


def test_dismiss_clears_the_hold_and_later_scores_do_not_hold_it_again(
    api_client, moderator, stored_asset, settings
):
    from tests.catalog.images import jpeg

    asset = stored_asset(jpeg(8, (384, 288)))
    settings.MODERATION_HOLD_NSFW = 0.0
    assets_score(asset_ids=[asset.pk])

    report = decide(Decision.DISMISS, [asset], moderator, note="a landscape")
    assert report.done == [asset.pk]
    asset.refresh_from_db()
    assert asset.status == AssetStatus.PUBLISHED and asset.hold_cleared_at is not None
    assert not asset.sensitive
    assert api_client.get(f"/api/v1/assets/{asset.pk}/").status_code == 200

    assert assets_score(asset_ids=[asset.pk]).newly_held == []
    asset.refresh_from_db()
    assert asset.status == AssetStatus.PUBLISHED
    assert kinds(asset)[-1] == "moderation.hold_cleared"


def test_mark_sensitive_publishes_a_held_asset_that_buyers_can_leave_out(api_client, moderator):
    asset = held(stored_asset(title="Reclining nude"))
    other = stored_asset(title="Reclining cat")
    assert decide(Decision.MARK_SENSITIVE, [asset], moderator).done == [asset.pk]
    asset.refresh_from_db()
    assert (asset.status, asset.sensitive) == (AssetStatus.PUBLISHED, True)

    def titles(**params):
        body = api_client.get("/api/v1/assets/", params).json()
        return sorted(row["title"] for row in body["results"])

    assert titles() == ["Reclining cat", "Reclining nude"]
    assert titles(exclude_sensitive="true") == ["Reclining cat"]
    assert other.pk  # the other asset is untouched by the decision

    again = decide(Decision.MARK_SENSITIVE, [asset], moderator)
    assert again.unchanged == {asset.pk: "already marked sensitive"}


def test_dismiss_closes_every_open_flag_and_says_when_there_is_nothing_to_dismiss(
    make_user, moderator
):
    asset = stored_asset()
    for name in ("ann", "bob"):
        flag_create(reporter=make_user(name), asset_id=asset.pk, reason="objectionable")
    clean = stored_asset()

    report = decide(Decision.DISMISS, [asset, clean], moderator)

    assert report.done == [asset.pk]
    assert report.unchanged == {clean.pk: "no open flag or hold to dismiss"}
    assert set(Flag.objects.values_list("state", flat=True)) == {"dismissed"}
    assert kinds(asset).count("flag.dismissed") == 2
    assert report.summary() == "1 asset changed; 1 unchanged (no open flag or hold to dismiss)"


def test_take_down_closes_the_flags_tells_earlier_buyers_and_is_a_no_op_the_second_time(
    api_client, make_user, moderator, django_capture_on_commit_callbacks
):
    asset = stored_asset()
    buyer = make_user("bea", role=Role.BUYER)
    assert download(client_for(api_client, buyer), [asset.pk]).status_code == 201
    flag_create(reporter=make_user("ann"), asset_id=asset.pk, reason="privacy")

    with django_capture_on_commit_callbacks(execute=True):
        assert decide(Decision.TAKE_DOWN, [asset], moderator).done == [asset.pk]
    asset.refresh_from_db()
    assert asset.status == AssetStatus.TAKEN_DOWN
    assert Flag.objects.get().state == Flag.State.ACTIONED
    assert ProvenanceEvent.objects.get(asset_id=asset.pk, kind="moderation.taken_down").reason == (
        "privacy"
    )
    assert [m.to for m in mail.outbox] == [[buyer.email]]

    events = ProvenanceEvent.objects.count()
    again = decide(Decision.TAKE_DOWN, [asset], moderator)
    assert again.unchanged == {asset.pk: "already taken down"}
    assert ProvenanceEvent.objects.count() == events

    assert decide(Decision.RESTORE, [asset], moderator).done == [asset.pk]
    asset.refresh_from_db()
    assert asset.status == AssetStatus.PUBLISHED
    assert decide(Decision.RESTORE, [asset], moderator).unchanged == {asset.pk: "not taken down"}


def test_reject_license_takes_a_base_set_item_down_for_good(moderator):
    from catalog.lifecycle import after_decision

    asset = stored_asset()
    assert decide(Decision.REJECT_LICENSE, [asset], moderator).done == [asset.pk]
    asset.refresh_from_db()
    assert asset.status == AssetStatus.TAKEN_DOWN
    event = ProvenanceEvent.objects.get(asset_id=asset.pk, kind="moderation.taken_down")
    assert event.reason == "license_rejected"
    # The source saying "accepted" again does not bring it back.
    assert after_decision(decision="accepted", current_status=asset.status).status == (
        AssetStatus.TAKEN_DOWN
    )


def test_reject_license_does_not_apply_to_an_opt_in_work(make_user, moderator):
    work = opt_in_work(make_user("arti", role=Role.RIGHTS_HOLDER))
    report = decide(Decision.REJECT_LICENSE, [work.asset], moderator)
    assert report.unchanged == {
        work.asset_id: "an opt-in work has no source license; reject its ownership instead"
    }
    work.asset.refresh_from_db()
    assert work.asset.status == AssetStatus.PUBLISHED


def pending_work(owner, *, hold="") -> Work:
    """An offered work whose ownership declaration waits for a moderator."""
    asset = stored_asset(source="opt_in", license="opt-in", status=AssetStatus.CANDIDATE)
    work = Work.objects.create(asset=asset, owner=owner, hold=hold)
    OwnershipDeclaration.objects.create(work=work, statement="I painted it in 2019.")
    offer_set(owner=owner, work_id=work.pk, uses={"ai_training": 5_000}, allow_research=True,
              allow_commercial=False, terms_version=current_terms().version)  # fmt: skip
    return work


def test_verify_ownership_accepts_the_claim_releases_the_hold_and_publishes(make_user, moderator):
    work = pending_work(make_user("arti", role=Role.RIGHTS_HOLDER), hold="matches_other_owner")
    work.asset.refresh_from_db()
    assert work.asset.status == AssetStatus.CANDIDATE

    assert decide(Decision.VERIFY_OWNERSHIP, [work.asset], moderator).done == [work.asset_id]

    work.refresh_from_db()
    work.asset.refresh_from_db()
    assert work.hold == "" and work.asset.status == AssetStatus.PUBLISHED
    assert work.declarations.get().state == OwnershipDeclaration.State.ACCEPTED
    assert {"ownership.accepted", "upload.hold_released"} <= set(kinds(work.asset))
    again = decide(Decision.VERIFY_OWNERSHIP, [work.asset], moderator)
    assert again.unchanged == {work.asset_id: "no ownership claim waiting"}


def test_reject_ownership_needs_a_note_and_keeps_the_work_unpublished(make_user, moderator):
    work = pending_work(make_user("arti", role=Role.RIGHTS_HOLDER))

    refused = decide(Decision.REJECT_OWNERSHIP, [work.asset], moderator)
    assert refused.unchanged == {work.asset_id: "a note is required: the rights holder reads why"}
    assert work.declarations.get().state == OwnershipDeclaration.State.PENDING

    done = decide(Decision.REJECT_OWNERSHIP, [work.asset], moderator, note="Signed by another.")
    assert done.done == [work.asset_id]
    declaration = work.declarations.get()
    assert (declaration.state, declaration.decision_note) == ("rejected", "Signed by another.")
    work.asset.refresh_from_db()
    assert work.asset.status == AssetStatus.CANDIDATE


def test_a_held_upload_stays_held_when_its_owner_offers_it_until_a_moderator_clears_it(
    make_user, moderator
):
    owner = make_user("arti", role=Role.RIGHTS_HOLDER)
    work = pending_work(owner)
    held(work.asset)
    decide(Decision.VERIFY_OWNERSHIP, [work.asset], moderator)  # declaration accepted
    work.asset.refresh_from_db()
    assert work.asset.status == AssetStatus.HELD  # the offer does not override the hold

    assert decide(Decision.DISMISS, [work.asset], moderator).done == [work.asset_id]
    work.asset.refresh_from_db()
    assert (work.asset.status, work.asset.price_micros) == (AssetStatus.PUBLISHED, 5_000)


def test_a_held_upload_withdrawn_meanwhile_comes_back_withdrawn(make_user, moderator):
    from marketplace.offers import offer_withdraw

    owner = make_user("arti", role=Role.RIGHTS_HOLDER)
    work = opt_in_work(owner)
    held(work.asset)
    offer_withdraw(owner=owner, work_id=work.pk)

    decide(Decision.DISMISS, [work.asset], moderator)
    work.asset.refresh_from_db()
    assert work.asset.status == AssetStatus.WITHDRAWN


def test_decisions_on_an_asset_taken_down_are_refused_with_the_reason(moderator):
    asset = stored_asset()
    decide(Decision.TAKE_DOWN, [asset], moderator)
    events = ProvenanceEvent.objects.count()

    report = decide(Decision.MARK_SENSITIVE, [asset], moderator)
    assert report.unchanged == {asset.pk: "it is taken down"}
    assert decide(Decision.DISMISS, [asset], moderator).unchanged == {
        asset.pk: "no open flag or hold to dismiss"
    }
    assert ProvenanceEvent.objects.count() == events


def test_release_embargo_rechecks_at_the_source_only_once_the_embargo_is_over(
    commons_api,  # noqa: F811  (the fixture imported above)
    moderator,
):
    pages, asked, fetcher = commons_api
    due = embargoed(301, days_ago=20)
    pages[301] = commons_page(301, uploaded="2026-10-20")
    early = embargoed(302, days_ago=2)
    published = stored_asset()

    report = assets_decide(asset_ids=[due.pk, early.pk, published.pk], moderator=moderator,
                           decision=Decision.RELEASE_EMBARGO, fetcher=fetcher)  # fmt: skip

    assert asked == ["301"]
    assert report.done == [due.pk]
    assert report.unchanged == {
        early.pk: f"its embargo runs until {early.embargo_until:%Y-%m-%d}",
        published.pk: "not embargoed",
    }
    due.refresh_from_db()
    assert due.status == AssetStatus.CANDIDATE  # then cloned and published the usual way


def test_an_upload_is_scored_once_stored_and_held_before_its_owner_can_publish_it(
    api_client, make_user, settings, django_capture_on_commit_callbacks, moderator
):
    from tests.catalog.images import jpeg
    from tests.marketplace.works_helpers import artist, upload

    settings.MODERATION_HOLD_NSFW = 0.0  # every score is at or above it
    owner = artist(make_user, "ada")
    api_client.force_authenticate(owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            upload(api_client, jpeg(9, size=(400, 300)), "dawn.jpg", title="Dawn").status_code
            == 201
        )
    work = Work.objects.get(owner=owner)
    work.asset.refresh_from_db()
    assert work.asset.nsfw_score is not None
    assert work.asset.status == AssetStatus.HELD

    OwnershipDeclaration.objects.create(work=work, statement="Mine.", state="accepted")
    offer_set(owner=owner, work_id=work.pk, uses={"ai_training": 1_000}, allow_research=True,
              allow_commercial=True, terms_version=current_terms().version)  # fmt: skip
    work.asset.refresh_from_db()
    assert work.asset.status == AssetStatus.HELD
    decide(Decision.DISMISS, [work.asset], moderator)
    work.asset.refresh_from_db()
    assert work.asset.status == AssetStatus.PUBLISHED
