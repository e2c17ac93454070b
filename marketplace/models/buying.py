"""Buyers' side: collections and license grants."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from catalog.models import Use


class Collection(models.Model):
    """A buyer's named set of assets. Private collections (Curation plan) are seen by their
    owner only; the others can be read by anyone who knows their id, and are never listed."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="collections",
        help_text="The buyer who keeps it.",
    )
    name = models.CharField(max_length=200, help_text="Unique per buyer, ignoring case.")
    private = models.BooleanField(
        default=False, help_text="Seen by its owner only (needs the Curation plan)."
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was made.")
    updated_at = models.DateTimeField(auto_now=True, help_text="Last change.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                name="collection_name_unique_per_owner",
                violation_error_message="You already have a collection with this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CollectionItem(models.Model):
    collection = models.ForeignKey(
        Collection, on_delete=models.CASCADE, related_name="items", help_text="The collection."
    )
    asset = models.ForeignKey(
        "catalog.Asset", on_delete=models.CASCADE, related_name="+", help_text="The asset."
    )
    added_at = models.DateTimeField(auto_now_add=True, help_text="When it was added.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["collection", "asset"], name="collection_item_once")
        ]

    def __str__(self) -> str:
        return f"asset {self.asset_id} in {self.collection_id}"


class Purpose(models.TextChoices):
    RESEARCH = "research", "Research"
    COMMERCIAL = "commercial", "Commercial"


class DownloadGrant(models.Model):
    """A buyer's license to one asset for one use, bought once, under the terms recorded
    here. Another use of the same asset is another grant, bought again."""

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="grants",
        help_text="Who holds the license.",
    )
    asset = models.ForeignKey(
        "catalog.Asset",
        on_delete=models.PROTECT,
        related_name="grants",
        help_text="The licensed asset.",
    )
    offer = models.ForeignKey(
        "marketplace.Offer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
        help_text="The opt-in offer it was bought under; empty for the base set.",
    )
    terms = models.ForeignKey(
        "marketplace.TermsVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
        help_text="The license terms version; empty for the base set (PDM/CC0).",
    )
    license = models.CharField(max_length=16, help_text="The asset's license when granted.")
    price_micros = models.PositiveBigIntegerField(help_text="The artist's price paid.")
    fee_micros = models.PositiveBigIntegerField(help_text="The platform fee paid.")
    purpose = models.CharField(
        max_length=16,
        choices=Purpose.choices,
        help_text="The purpose the buyer declared: research or commercial.",
    )
    use = models.CharField(
        max_length=32,
        choices=Use.choices,
        blank=True,
        help_text="The one use licensed (CAWG vocabulary), priced at that use's price. Empty "
        "only for a base-set grant whose buyer declared no use (PDM and CC0 allow every use).",
    )
    purpose_note = models.CharField(
        max_length=500, blank=True, help_text="The buyer's own words about the use."
    )
    charge_key = models.CharField(
        max_length=200, blank=True, help_text="Idempotency key of the ledger charge, if paid."
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was granted.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "asset", "use"], name="grant_once_per_buyer_asset_use"
            ),
            models.CheckConstraint(
                condition=Q(use__in=Use.values) | Q(use="", offer__isnull=True),
                name="grant_use_known_opt_in_named",
            ),
        ]

    def __str__(self) -> str:
        return f"grant {self.pk}: asset {self.asset_id} to {self.buyer}"


class ExportState(models.TextChoices):
    """Where a buyer's export (a manifest, a WebDataset shard export) stands."""

    QUEUED = "queued", "Queued"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"
    # Its files deleted after MANIFEST_EXPORT_DAYS / SHARD_EXPORT_DAYS; the row stays, so the
    # buyer's list and the audit log's `download.sharded` events still say what was
    # exported, delivered and when.
    EXPIRED = "expired", "Expired"


class ManifestExport(models.Model):
    """A training manifest (PD12M layout plus grant columns) built by a background task."""

    class Format(models.TextChoices):
        JSONL = "jsonl", "JSON Lines"
        PARQUET = "parquet", "Parquet"

    State = ExportState

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="manifests",
        help_text="Who asked for it.",
    )
    format = models.CharField(max_length=8, choices=Format.choices, help_text="File format.")
    collection = models.ForeignKey(
        Collection,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The collection exported, if one was named.",
    )
    grant_ids = models.JSONField(
        default=list, blank=True, help_text="The grants exported, if named one by one."
    )
    base_url = models.CharField(
        max_length=200,
        blank=True,
        help_text="The site's address when it was asked for: the file's links start with it.",
    )
    link_seconds = models.PositiveIntegerField(
        help_text="How long the download links inside the manifest stay valid."
    )
    state = models.CharField(
        max_length=8, choices=State.choices, default=State.QUEUED, help_text="Progress."
    )
    file_key = models.CharField(max_length=500, blank=True, help_text="Where the file is.")
    rows = models.PositiveIntegerField(default=0, help_text="Assets listed.")
    skipped = models.PositiveIntegerField(
        default=0, help_text="Assets left out: not granted to the buyer, or taken down."
    )
    error = models.CharField(max_length=500, blank=True, help_text="Why it failed.")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was asked for.")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When it was built.")
    links_expire_at = models.DateTimeField(
        null=True, blank=True, help_text="When the download links inside the file stop working."
    )
    renewed_at = models.DateTimeField(
        null=True, blank=True, help_text="When its links were last signed again, if ever."
    )
    expired_at = models.DateTimeField(
        null=True, blank=True, help_text="When its file was deleted from storage."
    )

    def __str__(self) -> str:
        return f"manifest {self.pk} ({self.state})"


class SavedThresholds(models.Model):
    """A buyer's default classifier thresholds for search, applied to every search that
    does not give its own value. Keys are `catalog.search.SCORE_FILTERS` parameters, values
    checked by those filters' own fields (`marketplace.search_defaults`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_thresholds",
        help_text="The buyer whose defaults these are (one row per buyer).",
    )
    thresholds = models.JSONField(
        default=dict,
        blank=True,
        help_text='Search parameter to value, e.g. {"max_nsfw": 0.2, "exclude_pii": true}; '
        "a parameter left out is not applied.",
    )
    updated_at = models.DateTimeField(auto_now=True, help_text="Last change.")

    class Meta:
        verbose_name_plural = "saved thresholds"

    def __str__(self) -> str:
        return f"thresholds of {self.user}"


class ShardExport(models.Model):
    """WebDataset tar shards of a buyer's granted assets (image plus JSON sidecar each), with
    an index of the shards, written by a background task that can run again after a crash
    without writing anything different."""

    State = ExportState

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="shard_exports",
        help_text="Who asked for it.",
    )
    collection = models.ForeignKey(
        Collection,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The collection exported, if one was named.",
    )
    grant_ids = models.JSONField(
        default=list, blank=True, help_text="The grants exported, if named one by one."
    )
    max_shard_bytes = models.PositiveBigIntegerField(
        help_text="The size limit of one shard when it was asked for (SHARD_MAX_BYTES)."
    )
    plan = models.JSONField(
        default=list,
        blank=True,
        help_text="The grant ids of each shard, in order, fixed when the build first ran so "
        "that a build run again writes the same shards.",
    )
    shards = models.JSONField(
        default=list,
        blank=True,
        help_text="The shards written so far: name, storage key, size, SHA-256 and number of "
        "samples (the samples themselves are ShardSample rows).",
    )
    index_key = models.CharField(
        max_length=500, blank=True, help_text="Where the index of the shards is stored."
    )
    state = models.CharField(
        max_length=8, choices=State.choices, default=State.QUEUED, help_text="Progress."
    )
    assets = models.PositiveIntegerField(default=0, help_text="Assets written into the shards.")
    skipped = models.PositiveIntegerField(
        default=0, help_text="Assets left out: not granted to the buyer, or taken down."
    )
    error = models.CharField(max_length=500, blank=True, help_text="Why it failed.")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was asked for.")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When it was built.")
    expired_at = models.DateTimeField(
        null=True, blank=True, help_text="When its shards and index were deleted from storage."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_shard_bytes__gt=0), name="shard_export_limit_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="done") | ~models.Q(index_key=""),
                name="shard_export_done_has_index",
            ),
        ]

    def __str__(self) -> str:
        return f"shard export {self.pk} ({self.state})"


class ShardSample(models.Model):
    """One asset written into one shard of an export (its WebDataset key is `asset-<id>`):
    what the index lists, what the audit log's `download.sharded` events are made from, and
    how a shard holding an asset taken down since is found. Rows rather than a list inside
    `ShardExport.shards`: an export of millions of assets would be one JSON value over
    PostgreSQL's 1 GB limit, saved again after every shard."""

    # Written once: a build run again replaces a shard's samples, never adds to them. (No
    # id of its own: one index fewer on a table of millions of rows.)
    pk = models.CompositePrimaryKey("export", "shard", "position")
    export = models.ForeignKey(
        ShardExport,
        on_delete=models.CASCADE,
        related_name="samples",
        db_index=False,  # the primary key's index starts with it
        help_text="The export whose shard holds it.",
    )
    shard = models.PositiveIntegerField(help_text="The shard's number (shard-000042.tar: 42).")
    position = models.PositiveIntegerField(help_text="Its place in the shard, from 0.")
    # No foreign key constraint in the database for the asset and the grant: checking them
    # took twice as long as the rest of writing a shard's 10,000 rows, and the rows are
    # written from grants just read, which are never deleted and keep their assets.
    asset = models.ForeignKey(
        "catalog.Asset",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (asset, export) index starts with it
        db_constraint=False,
        help_text="The asset written.",
    )
    grant = models.ForeignKey(
        DownloadGrant,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # never looked up by grant
        db_constraint=False,
        help_text="The grant it was written under.",
    )
    sha256 = models.CharField(max_length=64, help_text="The SHA-256 of the file written.")

    class Meta:
        indexes = [
            # The shards holding a taken-down asset (shard_links), and its exports.
            models.Index(fields=["asset", "export"], name="shard_sample_asset"),
        ]

    def __str__(self) -> str:
        return f"asset {self.asset_id} in shard {self.shard} of export {self.export_id}"
