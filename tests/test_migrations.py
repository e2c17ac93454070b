import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.models import Asset
from marketplace.models import DownloadGrant, Offer
from marketplace.selectors import offer_uses
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
