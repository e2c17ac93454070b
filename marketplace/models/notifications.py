"""Notices to people about things that changed under them (e.g. a licensed asset taken down)."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    class Kind(models.TextChoices):
        TAKEDOWN = "takedown", "An asset you licensed was taken down"

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
            # One notice per person and takedown, however often the signal arrives.
            models.UniqueConstraint(
                fields=["user", "kind", "asset_id"], name="notification_once_per_asset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user}"
