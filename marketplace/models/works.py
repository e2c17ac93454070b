"""Rights holders' side: profiles, works (their uploads in the catalog), ownership
declarations, the versioned training-license terms and offers."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class RightsHolderProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="rights_holder_profile",
        help_text="The rights holder's account.",
    )
    display_name = models.CharField(max_length=200, help_text="Name shown to buyers.")
    links = models.JSONField(
        default=list, blank=True, help_text="Up to 10 URLs: portfolio, social profiles."
    )
    trusted = models.BooleanField(
        default=False,
        help_text="Ownership declarations are accepted without review (staff grant this).",
    )

    def __str__(self) -> str:
        return self.display_name


class TermsVersion(models.Model):
    """One version of the training license text. Grants record the version they were
    bought under, so a new version never changes an existing grant."""

    version = models.CharField(max_length=32, unique=True, help_text="e.g. `2026-11`.")
    title = models.CharField(max_length=200, help_text="Short name of the license.")
    text = models.TextField(help_text="The full license text.")
    current = models.BooleanField(
        default=False, help_text="The version new offers accept; exactly one is current."
    )
    published_at = models.DateTimeField(auto_now_add=True, help_text="When it was published.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["current"], condition=Q(current=True), name="terms_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class HoldReason(models.TextChoices):
    NONE = "", "No hold"
    MATCHES_BASE_SET = "matches_base_set", "Matches a public-domain or CC0 item"
    MATCHES_OTHER_OWNER = "matches_other_owner", "Matches another rights holder's work"
    OPTED_OUT = "opted_out", "The same file is on the opt-out registry"
    RESERVES_TRAINING = "reserves_training", "The file's metadata reserves AI training"
    NAMES_ANOTHER = "names_another", "The file's metadata names another creator"


class Work(models.Model):
    """A rights holder's upload: its catalog asset, who owns it, and any review hold."""

    asset = models.OneToOneField(
        "catalog.Asset",
        on_delete=models.PROTECT,
        related_name="work",
        help_text="The catalog entry (license `opt-in`).",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="works",
        help_text="The rights holder who uploaded it.",
    )
    hold = models.CharField(
        max_length=32,
        choices=HoldReason.choices,
        blank=True,
        default=HoldReason.NONE,
        help_text="Why a moderator must review it before it can be offered.",
    )
    hold_detail = models.JSONField(
        default=dict,
        blank=True,
        help_text="What matched (asset ids and distances, opt-out entries) and what the "
        "file's own metadata said (`file_metadata`: names, signals, the raw XMP/IPTC/C2PA).",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was uploaded.")

    def __str__(self) -> str:
        return f"work {self.pk} by {self.owner}"


class OwnershipDeclaration(models.Model):
    """The rights holder's statement that they own the work, with evidence. The work is
    offered only once a declaration is accepted."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    work = models.ForeignKey(
        Work, on_delete=models.CASCADE, related_name="declarations", help_text="The work."
    )
    statement = models.TextField(help_text="How the rights holder owns the work.")
    evidence_keys = models.JSONField(
        default=list, blank=True, help_text="Storage keys of evidence files (private)."
    )
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING, help_text="Review state."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The moderator who decided, or empty when accepted automatically.",
    )
    decided_at = models.DateTimeField(null=True, blank=True, help_text="When it was decided.")
    decision_note = models.CharField(
        max_length=500, blank=True, help_text="Why, as told to the rights holder."
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was made.")

    def __str__(self) -> str:
        return f"declaration {self.pk} ({self.state})"


class Offer(models.Model):
    """The terms a work is offered on. A price change ends the current offer and starts a
    new one, so grants keep the terms they were bought under."""

    work = models.ForeignKey(
        Work, on_delete=models.PROTECT, related_name="offers", help_text="The work offered."
    )
    price_micros = models.PositiveBigIntegerField(
        help_text="Price per download in micro-USD (0 allowed: the buyer pays the fee only)."
    )
    allow_research = models.BooleanField(default=True, help_text="Research use allowed.")
    allow_commercial = models.BooleanField(default=False, help_text="Commercial use allowed.")
    terms = models.ForeignKey(
        TermsVersion,
        on_delete=models.PROTECT,
        related_name="offers",
        help_text="The license terms version the rights holder accepted.",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it started.")
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was replaced or withdrawn; empty while current."
    )
    withdrawn = models.BooleanField(
        default=False, help_text="Ended by withdrawal: no new grants until offered again."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["work"], condition=Q(ended_at__isnull=True), name="offer_one_current"
            ),
            models.CheckConstraint(
                condition=Q(allow_research=True) | Q(allow_commercial=True),
                name="offer_allows_some_use",
            ),
        ]

    def __str__(self) -> str:
        return f"offer {self.pk} on work {self.work_id}"
