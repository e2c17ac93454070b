"""Notices to people about things that changed under them (e.g. a licensed asset taken down)."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    class Kind(models.TextChoices):
        TAKEDOWN = "takedown", "An asset you licensed was taken down"
        # Rights holders' notices about their own works and money.
        WORK_TAKEN_DOWN = "work_taken_down", "Your work was taken down"
        DECLARATION_REJECTED = "declaration_rejected", "Your ownership declaration was rejected"
        HOLD_RELEASED = "hold_released", "A review hold on your work was released"
        PAYOUT_SENT = "payout_sent", "A payout was sent to you"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text="Who is told.",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices, help_text="What about.")
    asset_id = models.BigIntegerField(null=True, blank=True, help_text="The asset concerned.")
    message = models.TextField(help_text="What the person is told, as sent by email.")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was made.")
    read_at = models.DateTimeField(null=True, blank=True, help_text="When it was marked read.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One notice per person and takedown, however often the signal arrives. (A
            # declaration can be rejected again, a work held again: those may repeat.)
            models.UniqueConstraint(
                fields=["user", "kind", "asset_id"],
                condition=Q(kind__in=["takedown", "work_taken_down"]),
                name="notification_once_per_takedown",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user}"
