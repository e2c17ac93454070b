from django.conf import settings
from django.db import models
from django.db.models import F, Q

from catalog.models import Asset


class Classifier(models.TextChoices):
    NUDITY = "nudity", "Nudity"
    FACES = "faces", "Faces (personal data)"
    TEXT_PII = "text_pii", "Personal data in text"


class ClassifierScore(models.Model):
    """One classifier's result for one asset, from one model version.

    A row per (asset, classifier, model version): scoring again with the same model
    overwrites it (tasks are safe to repeat), a new model version adds a row beside the old
    one, so every figure can be traced to the model that produced it. The latest scores are
    copied onto the asset (`catalog.Asset.nsfw_score`, `face_count`, `has_pii`), where search
    filters on them."""

    asset = models.ForeignKey(
        "catalog.Asset",
        on_delete=models.CASCADE,
        related_name="classifier_scores",
        db_index=False,  # the unique constraint below starts with the asset
        help_text="The asset scored.",
    )
    classifier = models.CharField(
        max_length=16,
        choices=Classifier.choices,
        help_text="What was looked for: nudity, faces, or personal data in the text fields.",
    )
    model_name = models.CharField(
        max_length=100, help_text="The model or rule set that produced the score."
    )
    model_version = models.CharField(
        max_length=100,
        help_text="Its version: package version and weights checksum, or rule-set version, "
        "with any detection parameters.",
    )
    score = models.FloatField(
        help_text="Nudity: probability from 0 to 1. Faces: the number detected. "
        "Text: 1 if personal data was found, else 0."
    )
    details = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the classifier saw: face boxes in the scored image, kinds of personal "
        "data and the fields they are in (never the data itself), the image scored.",
    )
    threshold = models.FloatField(
        null=True,
        blank=True,
        help_text="The platform's auto-hold threshold in force when scored, for classifiers "
        "that have one (nudity: MODERATION_HOLD_NSFW).",
    )
    over_threshold = models.BooleanField(
        default=False,
        help_text="Whether the score was at or above the auto-hold threshold: the asset "
        "awaits a moderator's review.",
    )
    scored_at = models.DateTimeField(help_text="When this score was computed.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "classifier", "model_version"],
                name="classifierscore_asset_classifier_version_unique",
            ),
            models.CheckConstraint(
                condition=Q(classifier__in=Classifier.values),
                name="classifierscore_classifier_known",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & (Q(classifier=Classifier.FACES) | Q(score__lte=1)),
                name="classifierscore_score_range",
            ),
            models.CheckConstraint(
                condition=Q(over_threshold=False)
                | Q(threshold__isnull=False, score__gte=F("threshold")),
                name="classifierscore_over_threshold_consistent",
            ),
        ]
        indexes = [
            # The review queue: the few held scores, newest first.
            models.Index(
                fields=["-scored_at"],
                condition=Q(over_threshold=True),
                name="classifierscore_held_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_classifier_display()} {self.score:g} for asset {self.asset_id}"


class FlagReason(models.TextChoices):
    OBJECTIONABLE = "objectionable", "Objectionable content"
    INFRINGING = "infringing", "Infringes someone's rights"
    WRONG_LICENSE = "wrong_license", "Wrong license"
    PRIVACY = "privacy", "Privacy: shows or names a person"
    OPT_OUT_REQUEST = "opt_out_request", "The creator asks to opt out"
    OTHER = "other", "Other (described)"


class Flag(models.Model):
    """Someone's report that an asset should be looked at. One open flag per person and
    asset: flagging again changes nothing."""

    class State(models.TextChoices):
        OPEN = "open", "Waiting for review"
        DISMISSED = "dismissed", "Dismissed"
        ACTIONED = "actioned", "Acted on (taken down or marked sensitive)"

    asset = models.ForeignKey(
        "catalog.Asset", on_delete=models.CASCADE, related_name="flags", help_text="The asset."
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="flags",
        help_text="Who flagged it.",
    )
    reason = models.CharField(max_length=32, choices=FlagReason.choices, help_text="Why.")
    description = models.TextField(
        blank=True, max_length=2000, help_text="The reporter's words (required for `other`)."
    )
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.OPEN, help_text="Review state."
    )
    decided_by = models.CharField(
        max_length=150, blank=True, help_text="The moderator who decided."
    )
    decided_at = models.DateTimeField(null=True, blank=True, help_text="When it was decided.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="When.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "reporter"],
                condition=Q(state="open"),
                name="flag_one_open_per_reporter_and_asset",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} on asset {self.asset_id}"


class ReviewItem(Asset):
    """An asset as the review queue shows it (moderation.review): a view on the catalog's
    assets for the admin, with no table of its own."""

    class Meta:
        proxy = True
        verbose_name = "review queue item"
        verbose_name_plural = "review queue"
