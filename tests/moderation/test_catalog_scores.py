"""catalog.scores: the catalog's side of scoring (which assets, and writing the results)."""

import pytest
from django.db import IntegrityError

from catalog.models import Asset, AssetStatus, CloneState
from catalog.scores import (
    AssetScores,
    asset_scoring_backlog,
    asset_scoring_backlog_count,
    asset_scoring_subjects,
    scores_record,
)

pytestmark = pytest.mark.django_db


def asset(n: int, **fields) -> Asset:
    fields.setdefault("status", AssetStatus.PUBLISHED)
    fields.setdefault("thumbnail_key", f"thumbnails/{n}.jpg")
    return Asset.objects.create(source="nypl", source_record_id=str(n), license="pdm-1.0",
                                clone_state=CloneState.DONE, **fields)  # fmt: skip


def test_scores_are_written_and_a_missing_score_leaves_the_old_one():
    a, b = asset(1), asset(2, face_count=4, has_pii=True)
    before = b.updated_at
    updated = scores_record(results=[AssetScores(a.pk, nsfw_score=0.25, face_count=0,
                                                 has_pii=False),
                                     AssetScores(b.pk, nsfw_score=0.5),
                                     AssetScores(b.pk + 1000, nsfw_score=0.1)])  # fmt: skip
    assert updated == [a.pk, b.pk]  # the missing asset is skipped
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.nsfw_score, a.face_count, a.has_pii) == (0.25, 0, False)
    assert (b.nsfw_score, b.face_count, b.has_pii) == (0.5, 4, True)
    assert b.updated_at > before
    assert scores_record(results=[]) == []


@pytest.mark.parametrize("fields", [{"nsfw_score": 1.5}, {"nsfw_score": -0.1},
                                    {"face_count": -1}])  # fmt: skip
def test_impossible_scores_are_refused(fields):
    a = asset(3)
    with pytest.raises(ValueError, match="asset"):
        scores_record(results=[AssetScores(a.pk, **fields)])
    a.refresh_from_db()
    assert a.nsfw_score is None and a.face_count is None


def test_the_database_refuses_an_nsfw_score_out_of_range_too():
    a = asset(4)
    with pytest.raises(IntegrityError):
        Asset.objects.filter(pk=a.pk).update(nsfw_score=2)


def test_the_backlog_is_stored_unscored_assets_that_buyers_see_or_may_see():
    published = asset(10)
    candidate = asset(11, status=AssetStatus.CANDIDATE, thumbnail_key="", original_key="o.jpg")
    embargoed = asset(12, status=AssetStatus.EMBARGOED)
    asset(13, status=AssetStatus.REJECTED)
    asset(14, status=AssetStatus.WITHDRAWN)
    asset(15, thumbnail_key="")  # nothing in storage
    scored = asset(16, nsfw_score=0.1, face_count=0, has_pii=False)
    partly = asset(17, nsfw_score=0.1, face_count=0)  # text not scored yet

    expected = [published.pk, candidate.pk, embargoed.pk, partly.pk]
    assert asset_scoring_backlog(limit=10) == expected
    assert asset_scoring_backlog_count() == 4
    assert asset_scoring_backlog(limit=2) == expected[:2]
    assert asset_scoring_backlog(after_id=candidate.pk, limit=10) == expected[2:]
    assert asset_scoring_backlog(rescore=True, limit=10) == sorted([*expected, scored.pk])
    assert asset_scoring_backlog_count(rescore=True) == 5


def test_subjects_carry_the_image_to_score_and_the_text_fields():
    thumb = asset(20, title="Boats", description="At sea", creator="A. Painter",
                  tags=["sea", "", "boats"], original_key="originals/20.jpg")  # fmt: skip
    original = asset(21, thumbnail_key="", original_key="originals/21.jpg")
    rejected = asset(22, status=AssetStatus.REJECTED)
    subjects = asset_scoring_subjects([original.pk, rejected.pk, thumb.pk])
    assert [s.asset_id for s in subjects] == [thumb.pk, original.pk]
    assert (subjects[0].image_key, subjects[0].is_thumbnail) == ("thumbnails/20.jpg", True)
    assert (subjects[1].image_key, subjects[1].is_thumbnail) == ("originals/21.jpg", False)
    assert subjects[0].texts == {"title": "Boats", "description": "At sea",
                                 "creator": "A. Painter", "tags": "sea\nboats"}  # fmt: skip
