"""Where each asset came from and why it is allowed, and the append-only event log.

Assets are referenced by id, not by foreign key: provenance depends on no other app, and
its records outlive the rows they describe (a deleted asset's history stays)."""

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact


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
    TAKEN_DOWN = "moderation.taken_down", "Moderation: taken down"
    RESTORED = "moderation.restored", "Moderation: restored"
    HELD = "moderation.held", "Moderation: held for review (classifier)"
    HOLD_CLEARED = "moderation.hold_cleared", "Moderation: hold cleared"
    MARKED_SENSITIVE = "moderation.sensitive", "Moderation: marked sensitive"
    DOWNLOAD_GRANTED = "download.granted", "Download: licensed"
    DOWNLOAD_REPEATED = "download.repeated", "Download: downloaded again"
    DOWNLOAD_SHARDED = "download.sharded", "Download: delivered in WebDataset shards"
    UPLOAD_STORED = "upload.stored", "Upload: stored"
    UPLOAD_DESCRIBED = "upload.described", "Upload: description changed"
    UPLOAD_HELD = "upload.held", "Upload: held for review"
    UPLOAD_HOLD_RELEASED = "upload.hold_released", "Upload: hold released"
    UPLOAD_DELETED = "upload.deleted", "Upload: deleted by its owner"
    OWNERSHIP_DECLARED = "ownership.declared", "Ownership: declared"
    OWNERSHIP_ACCEPTED = "ownership.accepted", "Ownership: accepted"
    OWNERSHIP_REJECTED = "ownership.rejected", "Ownership: rejected"
    OFFER_SET = "offer.set", "Offer: price and uses set"
    OFFER_WITHDRAWN = "offer.withdrawn", "Offer: withdrawn"
    OFFER_MIGRATED = "offer.migrated", "Offer: moved to per-use terms"
    FLAG_RAISED = "flag.raised", "Flag: raised"
    FLAG_DISMISSED = "flag.dismissed", "Flag: dismissed"
    RELEASE_BUILT = "release.built", "Dataset release: built"
    ACCOUNT_LOCKED_OUT = "account.locked_out", "Account: locked out after failed sign-ins"
    STAFF_OTP_ENROLLED = "staff.otp_enrolled", "Staff: second factor enrolled"
    STAFF_ASSET_EDITED = "staff.asset_edited", "Staff: asset edited in the admin"
    STAFF_WALLET_UNFROZEN = "staff.wallet_unfrozen", "Staff: wallet freeze lifted"
    STAFF_TERMS_CURRENT = "staff.terms_current", "Staff: terms version made current"


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

    # The table also has a `txid` column that the ORM never reads or writes: PostgreSQL
    # fills it with the id of the transaction that appended the event, and the sealer reads
    # only events of transactions it has not seen finish (see `events_seal`, and migration
    # 0009; it is empty for events from before it existed).

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} asset {self.asset_id}"


GENESIS_HASH = "0" * 64


class AuditSeal(models.Model):
    """One link of the audit log's hash chain: seals one event, in chain order `seq`.

    `hash` is SHA-256 over `prev_hash` and the event's canonical content (see
    `provenance.chain`), so editing or deleting a sealed event, or editing a seal, breaks
    the chain where it happened. Seals are only ever inserted, by `events_seal`, one sealer
    at a time; the chain order is the sealing order, not the event ids (an event can commit
    after a later id was sealed)."""

    seq = models.PositiveBigIntegerField(
        unique=True, help_text="Position in the chain: 1, 2, 3 ... without gaps."
    )
    event = models.OneToOneField(
        ProvenanceEvent,
        on_delete=models.PROTECT,
        related_name="seal",
        help_text="The event sealed by this link.",
    )
    prev_hash = models.CharField(
        max_length=64,
        help_text="The previous link's hash (64 zeros for the first link), lowercase hex.",
    )
    hash = models.CharField(
        max_length=64,
        help_text="SHA-256 of `prev_hash` and the event's canonical JSON, lowercase hex.",
    )
    sealed_at = models.DateTimeField(auto_now_add=True, help_text="When the link was made.")

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="auditseal_seq_from_1"),
            models.CheckConstraint(
                condition=models.Q(seq__gt=1) | models.Q(prev_hash=GENESIS_HASH),
                name="auditseal_first_link_from_genesis",
            ),
            models.CheckConstraint(
                condition=Exact(Length("prev_hash"), 64), name="auditseal_prev_hash_is_sha256"
            ),
            models.CheckConstraint(
                condition=Exact(Length("hash"), 64), name="auditseal_hash_is_sha256"
            ),
        ]

    def __str__(self) -> str:
        return f"seal {self.seq} of event {self.event_id}"


class SealerMark(models.Model):
    """Where the sealer stopped: one row. Every event appended by a transaction whose id is
    below `txid_bound` is sealed, so a run reads only the events at or above it."""

    txid_bound = models.BigIntegerField(
        default=0,
        help_text="Events of transactions with a lower id are all sealed (a PostgreSQL xid8).",
    )
    legacy_checked = models.BooleanField(
        default=False,
        help_text="Whether a run has sealed every event from before transaction ids were "
        "recorded (they are read once, by the first run).",
    )
    updated_at = models.DateTimeField(auto_now=True, help_text="When the mark last moved.")

    def __str__(self) -> str:
        return f"sealed below transaction {self.txid_bound}"


class AuditCheckpoint(models.Model):
    """A link of the audit log's chain that a full or incremental verification found
    intact, with every link before it: the next incremental verification starts there."""

    seq = models.PositiveBigIntegerField(help_text="The last link verified.")
    hash = models.CharField(max_length=64, help_text="That link's hash, lowercase hex.")
    verified = models.PositiveBigIntegerField(
        help_text="How many links this verification recomputed."
    )
    incremental = models.BooleanField(
        help_text="Whether it started from the previous checkpoint rather than the genesis."
    )
    verified_at = models.DateTimeField(auto_now_add=True, help_text="When it finished.")

    class Meta:
        ordering = ["-verified_at", "-id"]

    def __str__(self) -> str:
        return f"verified up to seq {self.seq}"


class DatasetRelease(models.Model):
    """A named, versioned snapshot of the published catalog, chosen by search filters: a
    file in the PD12M layout plus its counts. Built once; from then on frozen (a database
    trigger refuses changes to a built release), so a takedown reaches the next release,
    never a published one."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    name = models.CharField(
        max_length=200, help_text="What the release is called, e.g. `base-set-cc0`."
    )
    version = models.CharField(
        max_length=50, help_text="Its version, unique per name, e.g. `2026.11`."
    )
    description = models.TextField(blank=True, help_text="What it is for, for its readers.")
    filters = models.JSONField(
        default=dict,
        blank=True,
        help_text="The search parameters that chose its assets, as GET /api/v1/assets/ takes "
        "them (e.g. `license`, `source`, `max_nsfw`); empty: every published asset.",
    )
    state = models.CharField(
        max_length=16,
        choices=State.choices,
        default=State.QUEUED,
        help_text="queued, then building, then done (frozen) or failed (can be built again).",
    )
    error = models.CharField(
        max_length=500, blank=True, help_text="Why the last build failed, for operators."
    )
    counts = models.JSONField(
        default=dict,
        blank=True,
        help_text="Assets listed: `total`, `by_source`, `by_license`, and `institutions` "
        "(the most frequent per source).",
    )
    file_key = models.CharField(
        max_length=255,
        blank=True,
        help_text="Storage key of the release file (Parquet in the PD12M layout).",
    )
    sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the release file, lowercase hex."
    )
    created_by = models.CharField(
        max_length=150, blank=True, help_text="Who asked for it: a username or a command."
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was asked for.")
    built_at = models.DateTimeField(
        null=True, blank=True, help_text="When its build finished; frozen from then on."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"], name="datasetrelease_name_version_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["queued", "building", "done", "failed"]),
                name="datasetrelease_state_known",
            ),
            # A done release always has its file, its checksum and its build time.
            models.CheckConstraint(
                condition=~models.Q(state="done")
                | (
                    models.Q(built_at__isnull=False)
                    & ~models.Q(file_key="")
                    & Exact(Length("sha256"), 64)
                ),
                name="datasetrelease_done_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"
