import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.models import Asset
from marketplace.models import DownloadGrant, Offer, ShardExport, ShardSample
from marketplace.selectors import offer_uses
from marketplace.shards import shard_links
from provenance.models import EventKind, ProvenanceEvent


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


BEFORE_USES = [
    ("marketplace", "0015_revocations_webhooks_receipts"),
    ("catalog", "0003_moderation_hold"),
    ("provenance", "0014_staff_edit_event_kinds"),
]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_offers_of_before_uses_move_to_mining_and_training_and_keep_their_grants():
    """An offer of the research/commercial era allows data mining and both kinds of
    training at its price (not inference), with its purposes kept and an audit event that
    says so; each grant bought under it covers those uses, its price paid once."""
    _migrate(BEFORE_USES)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE_USES).apps
        user = old.get_model("marketplace", "User")
        artist = user.objects.create(username="old-artist")
        buyer = user.objects.create(username="old-buyer")
        asset_model = old.get_model("catalog", "Asset")
        asset = asset_model.objects.create(
            source="opt_in", source_record_id="1", license="opt-in", status="published",
            price_micros=70_000,
        )  # fmt: skip
        base = asset_model.objects.create(source="x", source_record_id="2", license="cc0-1.0")
        work = old.get_model("marketplace", "Work").objects.create(asset=asset, owner=artist)
        terms, _ = old.get_model("marketplace", "TermsVersion").objects.get_or_create(
            version="2026-11", defaults={"title": "Training License", "text": "..."}
        )
        offer = old.get_model("marketplace", "Offer").objects.create(
            work=work, price_micros=70_000, allow_research=True, allow_commercial=False,
            terms=terms,
        )  # fmt: skip
        grants = old.get_model("marketplace", "DownloadGrant").objects
        paid = grants.create(
            buyer=buyer, asset=asset, offer=offer, terms=terms, license="opt-in",
            price_micros=70_000, fee_micros=1_000, purpose="research", charge_key="k1",
        )  # fmt: skip
        free = grants.create(buyer=buyer, asset=base, license="cc0-1.0", price_micros=0,
                             fee_micros=0, purpose="commercial")  # fmt: skip
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    trained = ["data_mining", "ai_generative_training", "ai_training"]
    migrated = Offer.objects.get(pk=offer.pk)
    assert offer_uses(migrated) == dict.fromkeys(trained, 70_000)
    assert (migrated.allow_research, migrated.allow_commercial) == (True, False)
    assert Asset.objects.get(pk=asset.pk).use_prices == dict.fromkeys(trained, 70_000)
    held = DownloadGrant.objects.filter(buyer_id=buyer.pk, asset_id=asset.pk).order_by("pk")
    assert [(g.pk == paid.pk, g.use, g.price_micros, g.fee_micros, g.charge_key) for g in held] == [
        (True, "ai_generative_training", 70_000, 1_000, "k1"),
        (False, "data_mining", 0, 0, ""),
        (False, "ai_training", 0, 0, ""),
    ]
    assert DownloadGrant.objects.get(pk=free.pk).use == ""  # the base set: every use
    events = ProvenanceEvent.objects.filter(kind=EventKind.OFFER_MIGRATED).order_by("pk")
    offer_event, grant_event = events
    assert offer_event.asset_id == asset.pk
    assert offer_event.data["from"] == {
        "allow_research": True, "allow_commercial": False, "price_micros": 70_000,
    }  # fmt: skip
    assert offer_event.data["uses"] == dict.fromkeys(trained, 70_000)
    assert "ai_inference is not" in offer_event.data["mapping"]
    assert grant_event.data["grant_id"] == paid.pk and grant_event.data["uses"] == trained


BEFORE_SAMPLE_ROWS = [("marketplace", "0021_shard_samples")]


def _sample(asset, grant) -> dict:
    return {"key": f"asset-{asset.pk}", "asset_id": asset.pk, "grant_id": grant.pk,
            "sha256": f"{asset.pk:064x}"}  # fmt: skip


def _shard(number: int, samples: list[dict]) -> dict:
    name = f"shard-{number:06d}.tar"
    return {"name": name, "key": f"shards/1/1/{name}", "size": 10240, "sha256": "ab" * 32,
            "samples": samples}  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_shard_samples_move_from_the_export_into_rows_and_back():
    """A built export's samples become rows (each shard's entry keeps their number) and its
    links still withhold a shard holding an asset taken down; an expired export keeps the
    numbers only. Migrated back, the lists are as they were."""
    _migrate(BEFORE_SAMPLE_ROWS)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE_SAMPLE_ROWS).apps
        buyer = old.get_model("marketplace", "User").objects.create(username="old-buyer")
        assets = [
            old.get_model("catalog", "Asset").objects.create(
                source="x", source_record_id=str(n), license="cc0-1.0", status="published"
            )
            for n in range(3)
        ]
        grant_model = old.get_model("marketplace", "DownloadGrant")
        free = {"license": "cc0-1.0", "price_micros": 0, "fee_micros": 0, "purpose": "research"}
        grants = [grant_model.objects.create(buyer=buyer, asset=a, **free) for a in assets]
        samples = [_sample(a, g) for a, g in zip(assets, grants, strict=True)]
        shards = [_shard(0, samples[:2]), _shard(1, samples[2:])]
        exports = old.get_model("marketplace", "ShardExport").objects
        built = exports.create(buyer=buyer, max_shard_bytes=10240, state="done", assets=3,
                               index_key="i.json", shards=shards)  # fmt: skip
        expired = exports.create(buyer=buyer, max_shard_bytes=10240, state="expired",
                                 assets=3, shards=shards)  # fmt: skip
        empty = exports.create(buyer=buyer, max_shard_bytes=10240)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    moved = ShardSample.objects.order_by("export", "shard", "position")
    assert [(s.export_id, s.shard, s.position, s.asset_id, s.grant_id, s.sha256)
            for s in moved] == [
        (built.pk, 0, 0, assets[0].pk, grants[0].pk, samples[0]["sha256"]),
        (built.pk, 0, 1, assets[1].pk, grants[1].pk, samples[1]["sha256"]),
        (built.pk, 1, 0, assets[2].pk, grants[2].pk, samples[2]["sha256"]),
    ]  # fmt: skip
    kept = {k: v for k, v in shards[0].items() if k != "samples"}
    assert ShardExport.objects.get(pk=built.pk).shards[0] == {**kept, "sample_count": 2}
    counts = [[entry["sample_count"] for entry in ShardExport.objects.get(pk=pk).shards]
              for pk in (built.pk, expired.pk)]  # fmt: skip
    assert counts == [[2, 1], [2, 1]]
    assert ShardExport.objects.get(pk=empty.pk).shards == []
    Asset.objects.filter(pk=assets[2].pk).update(status="taken_down")
    links, _ = shard_links(ShardExport.objects.get(pk=built.pk))
    assert [(link.samples, link.removed) for link in links] == [(2, []), (1, [assets[2].pk])]

    _migrate(BEFORE_SAMPLE_ROWS)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE_SAMPLE_ROWS).apps
        back = old.get_model("marketplace", "ShardExport").objects
        assert back.get(pk=built.pk).shards == shards
        assert [s["samples"] for s in back.get(pk=expired.pk).shards] == [[], []]
        assert not old.get_model("marketplace", "ShardSample").objects.exists()
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
