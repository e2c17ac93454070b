"""API requests kept for their Idempotency-Key: the first answer, replayed to retries."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class IdempotentRequest(models.Model):
    """A request sent with an `Idempotency-Key` header and the answer it got. A retry with
    the same key and the same request gets this answer again instead of running twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="idempotent_requests",
        help_text="Who sent it: keys are each person's own.",
    )
    key = models.CharField(max_length=255, help_text="The Idempotency-Key header, as sent.")
    fingerprint = models.CharField(
        max_length=64,
        help_text="SHA-256 of the method, path and body: the same key with another request "
        "is refused.",
    )
    status_code = models.PositiveSmallIntegerField(help_text="The HTTP status answered.")
    response = models.JSONField(encoder=DjangoJSONEncoder, help_text="The JSON body answered.")
    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True, help_text="When it was first answered."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} of {self.user}"
