"""Scoring assets: the scores buyers filter on, the rows that say which model produced them,
the auto-hold mark, and what happens to assets that cannot be scored."""

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from catalog.images import decode_image
from catalog.models import Asset, AssetStatus
from catalog.scores import asset_scoring_backlog
from moderation.classifiers import ModelInfo, faces, nudity, text_pii
from moderation.models import ClassifierScore
from moderation.services import assets_score, assets_score_later
from provenance.models import ProvenanceEvent
from tests.catalog.images import jpeg
from tests.moderation.images import faces_picture, thumbnail_jpeg

pytestmark = pytest.mark.django_db

ASSETS = "/api/v1/assets/"


def rows(asset: Asset) -> dict[str, ClassifierScore]:
    return {row.classifier: row for row in ClassifierScore.objects.filter(asset=asset)}


def test_scores_are_recorded_on_the_asset_with_one_row_per_classifier(stored_asset):
    asset = stored_asset(thumbnail_jpeg(faces_picture(2)),
                         description="Prints: jane.doe@example.com")  # fmt: skip

    outcome = assets_score(asset_ids=[asset.pk])

    asset.refresh_from_db()
    assert 0 <= asset.nsfw_score < settings.MODERATION_HOLD_NSFW
    assert asset.face_count == 2
    assert asset.has_pii is True
    assert asset.status == AssetStatus.PUBLISHED
    assert outcome.scored == [asset.pk] and outcome.held == [] and not outcome.unreadable
    scores = rows(asset)
    assert set(scores) == {"nudity", "faces", "text_pii"}
    assert (scores["nudity"].model_name, scores["nudity"].model_version) == (
        nudity.INFO.name, nudity.INFO.version)  # fmt: skip
    assert scores["nudity"].model_version.startswith("0.1.0 sha256:")
    assert scores["nudity"].score == asset.nsfw_score
    assert scores["nudity"].threshold == settings.MODERATION_HOLD_NSFW
    assert scores["faces"].model_version == faces.INFO.version
    assert scores["faces"].score == 2
    assert len(scores["faces"].details["boxes"]) == 2
    assert scores["faces"].details["image"] == "thumbnail"
    assert scores["text_pii"].model_version == text_pii.INFO.version
    assert scores["text_pii"].score == 1
    assert scores["text_pii"].details == {"found": {"email": ["description"]}}


def test_buyers_thresholds_find_assets_once_they_are_scored(stored_asset, api_client):
    plain = stored_asset(jpeg(1, (384, 288)), title="Boats")
    crowd = stored_asset(thumbnail_jpeg(faces_picture(3)), title="Three sitters")
    contact = stored_asset(jpeg(2, (384, 288)), title="Harbor", description="Tel. 020 7946 0958")

    def titles(**params):
        body = api_client.get(ASSETS, params).json()
        return sorted(item["title"] for item in body["results"])

    assert titles(max_nsfw=1) == []  # not scored yet: left out of threshold searches
    assets_score(asset_ids=[plain.pk, crowd.pk, contact.pk])
    assert titles(max_nsfw=1) == ["Boats", "Harbor", "Three sitters"]
    assert titles(max_faces=0) == ["Boats", "Harbor"]
    assert titles(exclude_pii="true") == ["Boats", "Three sitters"]


def test_scoring_again_overwrites_and_a_new_model_version_adds_a_row(stored_asset, monkeypatch):
    asset = stored_asset(jpeg(3, (384, 288)))
    assets_score(asset_ids=[asset.pk])
    first = rows(asset)["nudity"]

    assets_score(asset_ids=[asset.pk])
    again = rows(asset)["nudity"]
    assert ClassifierScore.objects.filter(asset=asset).count() == 3
    assert again.pk == first.pk and again.score == first.score
    assert again.scored_at > first.scored_at

    monkeypatch.setattr(nudity, "INFO", ModelInfo(name=nudity.INFO.name, version="0.2.0"))
    assets_score(asset_ids=[asset.pk])
    versions = set(
        ClassifierScore.objects.filter(asset=asset, classifier="nudity").values_list(
            "model_version", flat=True
        )
    )
    assert versions == {first.model_version, "0.2.0"}


def test_nudity_at_or_above_the_hold_threshold_holds_the_asset_for_review(stored_asset, settings):
    asset = stored_asset(jpeg(4, (384, 288)))
    other = stored_asset(jpeg(5, (384, 288)))
    assets_score(asset_ids=[asset.pk, other.pk])
    asset.refresh_from_db()
    other.refresh_from_db()
    assert asset.nsfw_score != other.nsfw_score

    settings.MODERATION_HOLD_NSFW = max(asset.nsfw_score, other.nsfw_score)
    held_one, kept = (asset, other) if asset.nsfw_score > other.nsfw_score else (other, asset)
    outcome = assets_score(asset_ids=[asset.pk, other.pk])
    assert outcome.held == outcome.newly_held == [held_one.pk]
    held_rows = ClassifierScore.objects.filter(over_threshold=True)
    assert [(r.asset_id, r.threshold) for r in held_rows] == [
        (held_one.pk, settings.MODERATION_HOLD_NSFW)
    ]
    held_one.refresh_from_db()
    kept.refresh_from_db()
    assert (held_one.status, kept.status) == (AssetStatus.HELD, AssetStatus.PUBLISHED)
    event = ProvenanceEvent.objects.get(asset_id=held_one.pk, kind="moderation.held")
    assert event.data["previous_status"] == "published"
    assert event.data["score"] == pytest.approx(held_one.nsfw_score)

    # A lower threshold later changes the marks, not the hold: a moderator decides that.
    settings.MODERATION_HOLD_NSFW = 1.0
    assert assets_score(asset_ids=[asset.pk, other.pk]).held == []
    assert not ClassifierScore.objects.filter(over_threshold=True).exists()
    held_one.refresh_from_db()
    assert held_one.status == AssetStatus.HELD


def test_an_asset_without_a_thumbnail_is_scored_from_its_original(stored_asset):
    original = thumbnail_jpeg(faces_picture(1, size=(1536, 1152), face_width=360))
    thumbnail = decode_image(
        original, max_pixels=settings.CLONE_MAX_PIXELS, thumbnail_size=settings.THUMBNAIL_SIZE
    ).thumbnail
    from_original = stored_asset(original=original)
    from_thumbnail = stored_asset(thumbnail, original=original)

    assets_score(asset_ids=[from_original.pk, from_thumbnail.pk])

    a, b = rows(from_original), rows(from_thumbnail)
    assert a["nudity"].details["image"] == "original"
    assert b["nudity"].details["image"] == "thumbnail"
    assert a["nudity"].score == b["nudity"].score
    assert a["faces"].score == b["faces"].score == 1


def test_an_unreadable_image_leaves_its_scores_empty_and_the_asset_in_the_backlog(stored_asset):
    corrupt = stored_asset(b"not a jpeg", title="Corrupt")
    missing = stored_asset(jpeg(6), title="Missing")
    default_storage.delete(missing.thumbnail_key)

    outcome = assets_score(asset_ids=[corrupt.pk, missing.pk])

    assert set(outcome.unreadable) == {corrupt.pk, missing.pk}
    assert outcome.unreadable[corrupt.pk].startswith("corrupt_image")
    assert outcome.unreadable[missing.pk].startswith("storage: FileNotFoundError")
    for asset in (corrupt, missing):
        asset.refresh_from_db()
        assert (asset.nsfw_score, asset.face_count, asset.has_pii) == (None, None, False)
        assert set(rows(asset)) == {"text_pii"}
    assert asset_scoring_backlog(limit=10) == [corrupt.pk, missing.pk]


def test_assets_that_cannot_be_scored_are_skipped(stored_asset):
    rejected = stored_asset(jpeg(7), status=AssetStatus.REJECTED)
    taken_down = stored_asset(jpeg(8), status=AssetStatus.TAKEN_DOWN)
    nothing_stored = stored_asset(None)
    scorable = stored_asset(jpeg(9))
    gone = scorable.pk + 1000

    outcome = assets_score(asset_ids=[rejected.pk, taken_down.pk, nothing_stored.pk,
                                      scorable.pk, gone])  # fmt: skip

    assert outcome.scored == [scorable.pk]
    assert outcome.skipped == [rejected.pk, taken_down.pk, nothing_stored.pk, gone]
    assert set(ClassifierScore.objects.values_list("asset_id", flat=True)) == {scorable.pk}


def test_scoring_later_queues_batches_once_the_transaction_commits(
    stored_asset, settings, django_capture_on_commit_callbacks
):
    settings.MODERATION_BATCH_SIZE = 2
    assets = [stored_asset(jpeg(10 + i)) for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = assets_score_later([a.pk for a in assets] + [assets[0].pk])
        assert not Asset.objects.filter(nsfw_score__isnull=False).exists()  # not before commit
    assert queued == 2  # batches of 2: [a, b], [c]
    assert len(callbacks) == 1
    assert Asset.objects.filter(nsfw_score__isnull=False).count() == 3
    assert ClassifierScore.objects.count() == 9
    assert assets_score_later([]) == 0


def test_only_stored_canonical_base_set_candidates_are_published_by_their_scores(stored_asset):
    ready = stored_asset(jpeg(30), status=AssetStatus.CANDIDATE)
    unreadable = stored_asset(b"not a jpeg", status=AssetStatus.CANDIDATE)
    upload = stored_asset(jpeg(31), status=AssetStatus.CANDIDATE, source="opt_in",
                          license="opt-in")  # fmt: skip
    embargoed = stored_asset(jpeg(32), status=AssetStatus.EMBARGOED)

    outcome = assets_score(asset_ids=[ready.pk, unreadable.pk, upload.pk, embargoed.pk])

    assert outcome.published == [ready.pk]
    statuses = dict(Asset.objects.values_list("pk", "status"))
    assert statuses == {
        ready.pk: "published",
        unreadable.pk: "candidate",  # scored again from the backlog, published then
        upload.pk: "candidate",  # its owner's offer publishes it
        embargoed.pk: "embargoed",
    }
    assert ready.pk in [r["id"] for r in _search()]


def _search() -> list[dict]:
    from rest_framework.test import APIClient

    return APIClient().get(ASSETS).json()["results"]
