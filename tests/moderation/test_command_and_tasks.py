"""The `score_assets` command works through the backlog with a progress bar; the Celery
tasks score a batch and the backlog."""

import io
import sys

import pytest
from django.core.management import CommandError, call_command

import moderation.tasks
from catalog.models import Asset, AssetStatus
from config.celery import app
from moderation.models import ClassifierScore
from moderation.tasks import score_assets_task, score_backlog_task
from tests.catalog.images import jpeg

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    def isatty(self):
        return True


def scored_ids() -> list[int]:
    return list(
        Asset.objects.filter(nsfw_score__isnull=False).order_by("pk").values_list("pk", flat=True)
    )


def test_the_command_scores_the_backlog_in_batches_with_a_progress_bar(
    stored_asset, monkeypatch, capsys
):
    waiting = [stored_asset(jpeg(20 + i)) for i in range(2)]
    waiting.append(stored_asset(jpeg(22), status=AssetStatus.CANDIDATE))  # cloned, unscored
    stored_asset(jpeg(30), status=AssetStatus.REJECTED)
    monkeypatch.setattr(sys, "stderr", Terminal())

    call_command("score_assets", "--batch-size", "2")

    assert scored_ids() == [a.pk for a in waiting]
    assert ClassifierScore.objects.count() == 9
    assert capsys.readouterr().out == (
        "score: scored 3, published 1, held for review 0 (nudity at or above 0.8), "
        "image unreadable 0, skipped 0\n"
    )
    bar = sys.stderr.getvalue()
    assert "score: 100%" in bar and "3/3" in bar and "assets" in bar


def test_limit_stops_and_a_second_run_continues(stored_asset, capsys):
    waiting = [stored_asset(jpeg(40 + i)) for i in range(3)]
    call_command("score_assets", "--limit", "2", "--batch-size", "1")
    assert scored_ids() == [a.pk for a in waiting[:2]]
    call_command("score_assets")
    assert scored_ids() == [a.pk for a in waiting]
    assert "score: scored 1," in capsys.readouterr().out.splitlines()[-1]


def test_rescore_scores_assets_that_already_have_scores(stored_asset, capsys):
    asset = stored_asset(jpeg(50))
    call_command("score_assets")
    before = ClassifierScore.objects.get(asset=asset, classifier="nudity").scored_at
    call_command("score_assets")
    assert "score: scored 0," in capsys.readouterr().out.splitlines()[-1]
    call_command("score_assets", "--rescore")
    assert "score: scored 1," in capsys.readouterr().out.splitlines()[-1]
    assert ClassifierScore.objects.get(asset=asset, classifier="nudity").scored_at > before


def test_queue_hands_the_backlog_to_the_workers_in_batches(
    stored_asset, settings, capsys, monkeypatch, django_capture_on_commit_callbacks
):
    settings.MODERATION_BATCH_SIZE = 2
    waiting = [stored_asset(jpeg(55 + i)) for i in range(3)]
    queued = []

    class Recorded:
        @staticmethod
        def delay(asset_ids):
            queued.append(asset_ids)
            return score_assets_task.delay(asset_ids)  # eager in tests: runs here

    monkeypatch.setattr(moderation.tasks, "score_assets_task", Recorded)
    with django_capture_on_commit_callbacks(execute=True):  # tasks are queued on commit
        call_command("score_assets", "--queue", "--batch-size", "3")
    assert capsys.readouterr().out == "score: queued 3 assets\n"
    assert queued == [[waiting[0].pk, waiting[1].pk], [waiting[2].pk]]
    assert scored_ids() == [a.pk for a in waiting]


def test_unreadable_images_are_reported(stored_asset, capsys):
    broken = stored_asset(b"broken")
    call_command("score_assets")
    out, err = capsys.readouterr()
    assert "image unreadable 1" in out
    assert f"asset {broken.pk}: corrupt_image" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--batch-size", "0"], "--batch-size must be between 1 and 500"),
     (["--batch-size", "501"], "--batch-size must be between 1 and 500"),
     (["--limit", "0"], "--limit must be at least 1")],
)  # fmt: skip
def test_bad_options_are_refused(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("score_assets", *args)


def test_the_task_scores_a_batch(stored_asset):
    asset = stored_asset(jpeg(60), description="Call 212-555-0123")
    result = score_assets_task.delay([asset.pk, asset.pk + 1000]).get()
    assert result == {"scored": 1, "held": [], "newly_held": [], "published": 0, "unreadable": {},
                      "skipped": 1}  # fmt: skip
    asset.refresh_from_db()
    assert asset.has_pii is True and asset.face_count == 0 and asset.nsfw_score is not None


def test_the_backlog_task_scores_up_to_its_limit(stored_asset):
    waiting = [stored_asset(jpeg(70 + i)) for i in range(2)]
    assert score_backlog_task.delay(limit=1).get()["scored"] == 1
    assert scored_ids() == [waiting[0].pk]


def test_the_tasks_are_registered_under_their_names():
    app.loader.import_default_modules()
    assert {"moderation.score_assets", "moderation.score_backlog"} <= set(app.tasks)
