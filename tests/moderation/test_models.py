"""The database keeps scores consistent whatever code writes them."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Asset
from moderation.models import ClassifierScore

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset():
    return Asset.objects.create(source="nypl", source_record_id="1", license="pdm-1.0")


def score(asset, **fields) -> ClassifierScore:
    fields = {"classifier": "nudity", "model_name": "m", "model_version": "1", "score": 0.5,
              "scored_at": timezone.now(), **fields}  # fmt: skip
    with transaction.atomic():
        return ClassifierScore.objects.create(asset=asset, **fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"classifier": "colour"},
        {"score": -1},
        {"score": 1.5},  # a probability
        {"classifier": "text_pii", "score": 2},
        {"over_threshold": True},  # held without a threshold
        {"over_threshold": True, "threshold": 0.8, "score": 0.5},  # held below it
    ],
)
def test_inconsistent_scores_are_refused(asset, fields):
    with pytest.raises(IntegrityError):
        score(asset, **fields)


def test_one_row_per_asset_classifier_and_model_version(asset):
    score(asset)
    score(asset, model_version="2")
    score(asset, classifier="faces", score=7)  # counts are not probabilities
    score(asset, classifier="text_pii", over_threshold=True, threshold=1.0, score=1.0)
    with pytest.raises(IntegrityError):
        score(asset, score=0.1)
    assert ClassifierScore.objects.count() == 4
