from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from catalog.consent.vocabulary import (
    AI_GENERATIVE_TRAINING,
    AI_INFERENCE,
    AI_TRAINING,
    DATA_MINING,
    USES,
)


class License(models.TextChoices):
    PDM = "pdm-1.0", "Public Domain Mark 1.0"
    CC0 = "cc0-1.0", "CC0 1.0 Universal"
    OPT_IN = "opt-in", "Opt-in training license"


USE_LABELS = {
    DATA_MINING: "Data mining",
    AI_INFERENCE: "AI inference",
    AI_GENERATIVE_TRAINING: "Generative AI training",
    AI_TRAINING: "AI training (not generative)",
}
# The uses a work can be licensed for: those of the CAWG training-and-data-mining assertion,
# in the order of `catalog.consent.vocabulary.USES` (the one list).
Use = models.TextChoices("Use", [(use.upper(), (use, USE_LABELS[use])) for use in USES])


# The `source` of rights holders' uploads; every other source is part of the base set.
OPT_IN_SOURCE = "opt_in"


class AssetStatus(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    REJECTED = "rejected", "Rejected"
    EMBARGOED = "embargoed", "Embargoed"
    PUBLISHED = "published", "Published"
    HELD = "held", "Held for review"
    TAKEN_DOWN = "taken_down", "Taken down"
    WITHDRAWN = "withdrawn", "Withdrawn"


class CloneState(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Being cloned"
    DONE = "done", "Stored"
    FAILED = "failed", "Failed (will retry)"
    GAVE_UP = "gave_up", "Failed (gave up)"


class Asset(models.Model):
    """One media item in the single index: a base-set image or an opt-in work."""

    source = models.CharField(
        max_length=64,
        help_text="Where the record came from: a base-set source such as `wikimedia_commons`, "
        "or `opt_in` for rights holders' uploads.",
    )
    source_record_id = models.CharField(
        max_length=255, help_text="The record's identifier at its source."
    )
    landing_url = models.URLField(
        max_length=2000, blank=True, help_text="The source's human-readable page for the record."
    )
    original_url = models.URLField(
        max_length=2000,
        blank=True,
        help_text="Where the original file was downloaded from; empty for uploads.",
    )
    title = models.CharField(max_length=500, blank=True, help_text="Title as given by the source.")
    creator = models.CharField(
        max_length=500, blank=True, help_text="Creator (artist, photographer, maker)."
    )
    creator_url = models.URLField(
        max_length=2000, blank=True, help_text="A page about the creator, if the source has one."
    )
    description = models.TextField(blank=True, help_text="Plain-text description or caption.")
    institution = models.CharField(
        max_length=500,
        blank=True,
        help_text="The institution or provider that holds the work, as the source names it.",
    )
    tags = models.JSONField(
        default=list, blank=True, help_text="Subject keywords from the source or the uploader."
    )
    creation_date = models.CharField(
        max_length=200,
        blank=True,
        help_text="When the work was made, as the source writes it (e.g. 'c. 1850').",
    )
    embargo_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Embargoed assets are re-checked at the source after this time.",
    )
    year = models.SmallIntegerField(
        null=True,
        blank=True,
        help_text="The year the work was made, where `creation_date` names one (search filter).",
    )
    source_uploaded_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the file reached the source; drives the Wikimedia Commons embargo.",
    )
    width = models.PositiveIntegerField(null=True, blank=True, help_text="Width in pixels.")
    height = models.PositiveIntegerField(null=True, blank=True, help_text="Height in pixels.")
    mime_type = models.CharField(
        max_length=100, blank=True, help_text="Media type of the original, e.g. image/jpeg."
    )
    byte_size = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Size of the cloned original in bytes."
    )
    sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of the cloned original (hex); also its storage key.",
    )
    perceptual_hash = models.CharField(
        max_length=16, blank=True, help_text="64-bit perceptual hash (hex) for near-duplicates."
    )
    # The perceptual hash split into four 16-bit bands: two hashes within Hamming distance 3
    # share at least one band, so near-duplicate candidates come from four index look-ups.
    phash_band0 = models.IntegerField(null=True, blank=True, help_text="Bits 0-15 of the hash.")
    phash_band1 = models.IntegerField(null=True, blank=True, help_text="Bits 16-31 of the hash.")
    phash_band2 = models.IntegerField(null=True, blank=True, help_text="Bits 32-47 of the hash.")
    phash_band3 = models.IntegerField(null=True, blank=True, help_text="Bits 48-63 of the hash.")
    canonical = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        db_index=False,  # a partial index below: most assets are no one's duplicate
        help_text="For a duplicate: the one asset of its group that is published.",
    )
    license = models.CharField(
        max_length=16,
        choices=License.choices,
        blank=True,
        help_text="`pdm-1.0` or `cc0-1.0` for the base set, `opt-in` for rights holders' works; "
        "empty only for rejected records.",
    )
    status = models.CharField(
        max_length=16,
        choices=AssetStatus.choices,
        default=AssetStatus.CANDIDATE,
        help_text="Lifecycle: candidate, then rejected, embargoed or published; "
        "later taken down or withdrawn. Held: a classifier score reached the platform's "
        "auto-hold threshold and a moderator has not decided yet. Only published assets are "
        "shown to buyers.",
    )
    rejection_reason = models.CharField(
        max_length=64,
        blank=True,
        help_text="Why a rejected asset was rejected (a reason code, e.g. license_restricted).",
    )
    clone_state = models.CharField(
        max_length=16,
        choices=CloneState.choices,
        default=CloneState.PENDING,
        help_text="Whether the original has been copied into our storage.",
    )
    clone_claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a cloning worker took this asset."
    )
    clone_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Failed clone attempts so far; retried up to a limit."
    )
    clone_error = models.CharField(
        max_length=500, blank=True, help_text="The last clone failure, for operators."
    )
    original_key = models.CharField(
        max_length=255, blank=True, help_text="Storage key of our cloned original."
    )
    thumbnail_key = models.CharField(
        max_length=255, blank=True, help_text="Storage key of the thumbnail."
    )
    price_micros = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Opt-in works: the artist's lowest price per download among the uses "
        "offered, in micro-USD (the platform fee comes on top). Empty for base-set items, "
        "which are free.",
    )
    use_prices = models.JSONField(
        null=True,
        blank=True,
        help_text="Opt-in works: each use the current offer allows and its price in micro-USD, "
        'e.g. {"ai_training": 50000}; a use left out is not allowed. Empty for base-set '
        "items, which allow every use for free, and for works not on offer.",
    )
    # Classifier results, written by moderation through catalog services; searched with the
    # buyer's own thresholds. Empty until the asset has been scored.
    nsfw_score = models.FloatField(
        null=True, blank=True, help_text="Nudity score from 0 (none) to 1 (explicit)."
    )
    face_count = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Faces detected in the image (personal data)."
    )
    has_pii = models.BooleanField(
        null=True,
        blank=True,
        help_text="Whether the text fields hold personal data (emails, phone numbers, addresses).",
    )
    sensitive = models.BooleanField(
        db_default=False,  # bulk imports insert rows with SQL of their own
        help_text="A moderator looked at it and found it sensitive but acceptable (nudity in "
        "a painting, say): it stays published and buyers can leave it out with "
        "`exclude_sensitive`.",
    )
    hold_cleared_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a moderator reviewed a classifier hold and let the asset publish: "
        "later scores do not hold it again.",
    )
    search_document = SearchVectorField(
        null=True,
        editable=False,
        help_text="Full-text index of title, creator, tags and description (PostgreSQL), "
        "filled when the asset is published.",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When we first saw it.")
    updated_at = models.DateTimeField(auto_now=True, help_text="Last change to this row.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_record_id"], name="asset_source_record_unique"
            ),
            models.UniqueConstraint(
                fields=["original_url"],
                condition=~Q(original_url=""),
                name="asset_original_url_unique",
            ),
            models.CheckConstraint(
                condition=Q(license__in=License.values) | Q(license=""),
                name="asset_license_known",
            ),
            # Nothing without an accepted license gets past rejection.
            models.CheckConstraint(
                condition=Q(status=AssetStatus.REJECTED) | ~Q(license=""),
                name="asset_license_unless_rejected",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AssetStatus.values), name="asset_status_known"
            ),
            models.CheckConstraint(
                condition=Q(nsfw_score__gte=0, nsfw_score__lte=1) | Q(nsfw_score__isnull=True),
                name="asset_nsfw_score_range",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="asset_status_id_idx"),
            # Hashes exist only once an original is cloned: the indexes skip the rest, which
            # keeps bulk imports of not-yet-cloned records fast.
            *(
                models.Index(
                    fields=[f"phash_band{band}"],
                    condition=Q(**{f"phash_band{band}__isnull": False}),
                    name=f"asset_phash_band{band}_idx",
                )
                for band in range(4)
            ),
            models.Index(fields=["sha256"], condition=~Q(sha256=""), name="asset_sha256_idx"),
            models.Index(
                fields=["canonical"],
                condition=Q(canonical__isnull=False),
                name="asset_canonical_idx",
            ),
            models.Index(
                fields=["embargo_until"],
                condition=Q(status="embargoed"),
                name="asset_embargo_due_idx",
            ),
            models.Index(
                fields=["id"],
                condition=Q(status="candidate", clone_state__in=["pending", "failed", "claimed"]),
                name="asset_clone_queue_idx",
            ),
            # Search: what buyers see is published, so only published rows are indexed.
            GinIndex(
                fields=["search_document"],
                condition=Q(status="published"),
                name="asset_search_idx",
            ),
            models.Index(
                fields=["source", "id"],
                condition=Q(status="published"),
                name="asset_published_source_idx",
            ),
            models.Index(
                fields=["license", "id"],
                condition=Q(status="published"),
                name="asset_published_license_idx",
            ),
            models.Index(
                Lower("creator"), "id", condition=Q(status="published"), name="asset_creator_idx"
            ),
            GinIndex(
                fields=["use_prices"],
                condition=Q(status="published", use_prices__isnull=False),
                name="asset_use_prices_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.source}:{self.source_record_id}"


class OptOutKind(models.TextChoices):
    URL = "url", "URL"
    DOMAIN = "domain", "Domain"
    SHA256 = "sha256", "Content hash (SHA-256)"
    CREATOR = "creator", "Creator name"


class OptOut(models.Model):
    """A registry entry: matching items never publish."""

    kind = models.CharField(
        max_length=16, choices=OptOutKind.choices, help_text="What the value is matched against."
    )
    value = models.CharField(
        max_length=2000,
        help_text="Normalized value: a URL, a domain (subdomains match too), a hex SHA-256, "
        "or a creator name (compared without case or extra spaces).",
    )
    note = models.CharField(max_length=500, blank=True, help_text="Who asked, and how.")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was registered.")

    class Meta:
        verbose_name = "opt-out"
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="optout_kind_value_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class IngestRun(models.Model):
    """The report of one ingest, import or clone run: what was seen and decided, and why."""

    kind = models.CharField(
        max_length=32, help_text="`ingest`, `import_pd12m`, `clone` or `release_embargoed`."
    )
    source = models.CharField(max_length=64, blank=True, help_text="Source, where one applies.")
    started_at = models.DateTimeField(auto_now_add=True, help_text="When the run started.")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When it ended.")
    seen = models.PositiveIntegerField(default=0, help_text="Records read.")
    accepted = models.PositiveIntegerField(default=0, help_text="Records accepted.")
    embargoed = models.PositiveIntegerField(default=0, help_text="Records embargoed.")
    rejected = models.JSONField(default=dict, help_text="Rejected records by reason.")
    duplicates = models.PositiveIntegerField(
        default=0, help_text="Records already in the catalog under another record."
    )
    created = models.PositiveIntegerField(default=0, help_text="Assets added to the catalog.")
    updated = models.PositiveIntegerField(
        default=0, help_text="Existing assets whose metadata or decision changed."
    )
    errors = models.PositiveIntegerField(default=0, help_text="Records or pages that failed.")
    error_samples = models.JSONField(
        default=list, help_text="The first few failures, for operators."
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.source} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())
