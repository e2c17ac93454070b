from django.db import models
from django.db.models import Q


class License(models.TextChoices):
    PDM = "pdm-1.0", "Public Domain Mark 1.0"
    CC0 = "cc0-1.0", "CC0 1.0 Universal"
    OPT_IN = "opt-in", "Opt-in training license"


class AssetStatus(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    REJECTED = "rejected", "Rejected"
    EMBARGOED = "embargoed", "Embargoed"
    PUBLISHED = "published", "Published"
    TAKEN_DOWN = "taken_down", "Taken down"
    WITHDRAWN = "withdrawn", "Withdrawn"


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
    creation_date = models.CharField(
        max_length=200,
        blank=True,
        help_text="When the work was made, as the source writes it (e.g. 'c. 1850').",
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
        db_index=True,
        help_text="SHA-256 of the cloned original (hex); also its storage key.",
    )
    perceptual_hash = models.CharField(
        max_length=16, blank=True, help_text="64-bit perceptual hash (hex) for near-duplicates."
    )
    license = models.CharField(
        max_length=16,
        choices=License.choices,
        help_text="`pdm-1.0` or `cc0-1.0` for the base set, `opt-in` for rights holders' works.",
    )
    status = models.CharField(
        max_length=16,
        choices=AssetStatus.choices,
        default=AssetStatus.CANDIDATE,
        help_text="Lifecycle: candidate, then rejected, embargoed or published; "
        "later taken down or withdrawn. Only published assets are shown to buyers.",
    )
    original_key = models.CharField(
        max_length=255, blank=True, help_text="Storage key of our cloned original."
    )
    thumbnail_key = models.CharField(
        max_length=255, blank=True, help_text="Storage key of the thumbnail."
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
                condition=Q(license__in=License.values), name="asset_license_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AssetStatus.values), name="asset_status_known"
            ),
        ]
        indexes = [models.Index(fields=["status", "id"], name="asset_status_id_idx")]

    def __str__(self) -> str:
        return self.title or f"{self.source}:{self.source_record_id}"
