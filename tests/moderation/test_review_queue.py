"""The review queue in the admin: what is on it and why, its filters, the page of one item,
bulk decisions by a moderator who is not a superuser, and decisions racing on one asset."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from catalog.holds import assets_hold
from catalog.models import Asset, AssetStatus
from marketplace.models import OwnershipDeclaration, Role, Work
from moderation.decisions import Decision, assets_decide
from moderation.models import ClassifierScore, Flag
from moderation.review import Reason, review_queue
from provenance.models import EventKind, ProvenanceEvent, ProvenanceRecord
from provenance.selectors import audit_log_verify
from provenance.services import events_seal
from tests.catalog.test_embargo import embargoed
from tests.marketplace.factories import stored_asset
from tests.threads import in_threads

QUEUE = "/admin/moderation/reviewitem/"


@pytest.fixture
def moderator_client(make_user):
    client = Client()
    client.force_login(make_user("mod", role=Role.MODERATOR, is_staff=True))
    return client


def held(asset):
    assets_hold(asset_ids=[asset.pk], actor="classifier", scores={asset.pk: 0.95}, threshold=0.9)
    return asset


def waiting(make_user):
    """One asset for each reason, one that waits for nothing, and one still under embargo."""
    flagged = stored_asset(title="Ochre study")
    Flag.objects.create(asset=flagged, reporter=make_user("eve"), reason="privacy")
    hold = held(stored_asset(title="Velvet nude", nsfw_score=0.95))
    claimed = stored_asset(title="Harbour sketch", source="opt_in", license="opt-in",
                           status=AssetStatus.CANDIDATE)  # fmt: skip
    work = Work.objects.create(asset=claimed, owner=make_user("arti", role=Role.RIGHTS_HOLDER))
    OwnershipDeclaration.objects.create(work=work, statement="Mine since 2001.")
    due = embargoed(401, days_ago=20)
    early = embargoed(402, days_ago=2)
    Asset.objects.filter(pk=due.pk).update(title="Commons file 401")
    Asset.objects.filter(pk=early.pk).update(title="Commons file 402")
    return {
        "flagged": flagged, "held": hold, "claimed": claimed, "due": due,
        "quiet": stored_asset(title="Quiet orchard"), "early": early,
    }  # fmt: skip


@pytest.mark.django_db
def test_the_queue_holds_every_reason_and_nothing_else(make_user):
    assets = waiting(make_user)
    found = {a.pk: a for a in review_queue()}
    assert set(found) == {assets[name].pk for name in ("flagged", "held", "claimed", "due")}
    assert found[assets["flagged"].pk].open_flags == 1
    assert found[assets["claimed"].pk].has_claim is True
    assert found[assets["due"].pk].waiting_since == assets["due"].embargo_until
    only_held = review_queue(reasons=[Reason.CLASSIFIER_HOLD])
    assert [a.pk for a in only_held] == [assets["held"].pk]


@pytest.mark.django_db
def test_a_moderator_filters_the_queue_by_reason_and_age(make_user, moderator_client):
    waiting(make_user)
    Flag.objects.update(created_at=timezone.now() - timedelta(days=10))

    page = moderator_client.get(QUEUE).content.decode()
    for title in ("Ochre study", "Velvet nude", "Harbour sketch", "Commons file 401"):
        assert title in page
    assert "Quiet orchard" not in page and "Commons file 402" not in page
    assert ">1 open flag<" in page and "classifier hold" in page and "nudity 0.95" in page

    held_only = moderator_client.get(QUEUE, {"reason": "classifier_hold"}).content.decode()
    assert "Velvet nude" in held_only and "Ochre study" not in held_only
    old = moderator_client.get(QUEUE, {"waiting": "7"}).content.decode()
    # The flag is 10 days old; the embargo ended 6 days ago; the hold and claim are new.
    assert "Ochre study" in old and "Velvet nude" not in old and "Harbour sketch" not in old
    assert "Commons file 401" not in old


@pytest.mark.django_db
def test_one_page_shows_image_scores_provenance_evidence_flags_and_claims(
    make_user, moderator_client
):
    assets = waiting(make_user)
    flagged = assets["flagged"]
    ProvenanceRecord.objects.create(
        asset_id=flagged.pk, source="cleveland_museum", source_record_id="1915.534",
        record_url="https://clevelandart.org/art/1915.534", institution="Cleveland Museum of Art",
        license="cc0-1.0", decision="accepted", retrieved_at=timezone.now(),
        evidence={"share_license_status": "CC0"},
    )  # fmt: skip
    ClassifierScore.objects.create(
        asset=flagged, classifier="faces", model_name="cascade", model_version="4.10", score=2,
        scored_at=timezone.now(),
    )  # fmt: skip

    page = moderator_client.get(f"{QUEUE}{flagged.pk}/change/").content.decode()
    for expected in ("Cleveland Museum of Art", "share_license_status", "Privacy",
                     "by eve", "cascade 4.10", "base-set item"):  # fmt: skip
        assert expected in page
    assert 'name="_save"' not in page  # decisions are taken, not edits saved
    assert '<option value="mark_sensitive">' in page
    decided = moderator_client.post(
        QUEUE, {"action": "take_down", "_selected_action": [flagged.pk], "index": 0}, follow=True
    )
    assert "1 asset changed." in decided.content.decode()
    flagged.refresh_from_db()
    assert flagged.status == AssetStatus.TAKEN_DOWN

    claim = moderator_client.get(f"{QUEUE}{assets['claimed'].pk}/change/").content.decode()
    assert "Mine since 2001." in claim and "by arti" in claim


@pytest.mark.django_db
def test_a_moderator_decides_in_bulk_and_is_told_what_did_not_apply(
    make_user, moderator_client, django_capture_on_commit_callbacks
):
    assets = waiting(make_user)
    chosen = [assets["flagged"].pk, assets["held"].pk, assets["claimed"].pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(
            QUEUE,
            {"action": "dismiss", "_selected_action": chosen, "note": "checked"},
            follow=True,
        )
    body = response.content.decode()
    assert "2 assets changed; 1 unchanged (no open flag or hold to dismiss)." in body
    claimed = assets["claimed"]
    assert (f"Asset {claimed.pk} ({claimed.title}): no open flag or hold to dismiss; nothing "
            "was done.") in body  # fmt: skip
    assets["held"].refresh_from_db()
    assert assets["held"].status == AssetStatus.PUBLISHED
    assert Flag.objects.get().state == Flag.State.DISMISSED
    note = ProvenanceEvent.objects.get(asset_id=assets["held"].pk, kind=EventKind.HOLD_CLEARED)
    assert note.data["note"] == "checked" and note.actor == "mod"


@pytest.mark.django_db
def test_people_who_are_not_moderators_cannot_open_the_queue(make_user):
    client = Client()
    client.force_login(make_user("bea", role=Role.BUYER, is_staff=True))
    assert client.get(QUEUE).status_code == 403
    anonymous = Client().get(QUEUE)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


@pytest.mark.django_db
def test_the_queue_page_costs_the_same_few_queries_however_many_items(
    make_user, moderator_client, django_assert_max_num_queries
):
    for _ in range(30):
        held(stored_asset())
    with django_assert_max_num_queries(12):
        assert moderator_client.get(QUEUE).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_decisions_racing_on_one_asset_apply_one_at_a_time_and_the_log_stays_consistent(
    make_user,
):
    asset = held(stored_asset())
    Flag.objects.create(asset=asset, reporter=make_user("eve"), reason="objectionable")
    moderators = [make_user(f"mod{i}", role=Role.MODERATOR, is_staff=True) for i in range(8)]
    decisions = [Decision.TAKE_DOWN, Decision.MARK_SENSITIVE, Decision.DISMISS,
                 Decision.REJECT_LICENSE] * 2  # fmt: skip

    def decide(i):
        return assets_decide(asset_ids=[asset.pk], decision=decisions[i], moderator=moderators[i])

    reports = in_threads(8, decide)

    assert not [r for r in reports if isinstance(r, Exception)], reports
    asset.refresh_from_db()
    events = list(
        ProvenanceEvent.objects.filter(asset_id=asset.pk)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    # The hold was left once and the asset went down at most once; the flag closed once.
    assert events.count(EventKind.HOLD_CLEARED) <= 1
    assert events.count(EventKind.TAKEN_DOWN) <= 1
    assert Flag.objects.get().state != Flag.State.OPEN
    # The last decision that changed anything is the state the asset is in.
    last = [k for k in events if k in (EventKind.HOLD_CLEARED, EventKind.TAKEN_DOWN)][-1]
    expected = AssetStatus.TAKEN_DOWN if last == EventKind.TAKEN_DOWN else AssetStatus.PUBLISHED
    assert asset.status == expected
    # Every moderator got an answer: a change or the reason nothing changed.
    assert all(len(r.done) + len(r.unchanged) == 1 for r in reports)
    events_seal()
    assert audit_log_verify().intact
