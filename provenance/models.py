"""Where each asset came from and why it is allowed, and the append-only event log.

Assets are referenced by id, not by foreign key: provenance depends on no other app, and
its records outlive the rows they describe (a deleted asset's history stays)."""

from django.db import models


class ProvenanceRecord(models.Model):
    """The current provenance of one asset: its source, license and the evidence for it."""

    asset_id = models.BigIntegerField(unique=True, help_text="The catalog asset described.")
    source = models.CharField(max_length=64, help_text="Source connector name.")
    source_record_id = models.CharField(max_length=255, help_text="Record id at the source.")
    record_url = models.URLField(
        max_length=2000, blank=True, help_text="The source's page for the record."
    )
    original_url = models.URLField(
        max_length=2000, blank=True, help_text="Where the original file was fetched from."
    )
    institution = models.CharField(
        max_length=500, blank=True, help_text="Institution or provider named by the source."
    )
    creator = models.CharField(max_length=500, blank=True, help_text="Creator as recorded.")
    uploader_id = models.BigIntegerField(
        null=True, blank=True, help_text="The account that uploaded it (opt-in works)."
    )
    license = models.CharField(
        max_length=16, blank=True, help_text="Accepted license code, empty when rejected."
    )
    decision = models.CharField(
        max_length=64,
        help_text="The latest license decision: `accepted`, `embargoed` or a rejection reason.",
    )
    evidence = models.JSONField(
        default=dict, help_text="The raw source fields the license decision read, verbatim."
    )
    retrieved_at = models.DateTimeField(help_text="When the source record was last read.")
    cloned_at = models.DateTimeField(
        null=True, blank=True, help_text="When the original was copied into our storage."
    )
    sha256 = models.CharField(max_length=64, blank=True, help_text="Checksum of the clone.")

    def __str__(self) -> str:
        return f"asset {self.asset_id} from {self.source}:{self.source_record_id}"


class EventKind(models.TextChoices):
    INGEST_ACCEPTED = "ingest.accepted", "Ingest: accepted"
    INGEST_EMBARGOED = "ingest.embargoed", "Ingest: embargoed"
    INGEST_REJECTED = "ingest.rejected", "Ingest: rejected"
    CLONE_DONE = "clone.done", "Clone: stored"
    CLONE_REJECTED = "clone.rejected", "Clone: rejected"
    CLONE_FAILED = "clone.failed", "Clone: failed"
    DEDUPE_LINKED = "dedupe.linked", "Dedupe: linked to canonical"
    PUBLISHED = "asset.published", "Published"


class ProvenanceEvent(models.Model):
    """One entry of the append-only log: never updated, never deleted."""

    asset_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="The asset concerned, if any."
    )
    kind = models.CharField(max_length=32, choices=EventKind.choices, help_text="What happened.")
    reason = models.CharField(
        max_length=64, blank=True, help_text="Reason code for rejections and failures."
    )
    actor = models.CharField(
        max_length=150, help_text="Who or what decided: a command, a task or a username."
    )
    data = models.JSONField(default=dict, help_text="Details of the decision.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="When.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} asset {self.asset_id}"
