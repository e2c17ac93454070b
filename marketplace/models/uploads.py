"""Direct uploads: a rights holder posts a large file straight to S3 with a presigned form,
then confirms it; the file is verified and becomes a work only on confirmation."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class DirectUpload(models.Model):
    id = models.UUIDField(
        primary_key=True,
        default=uuid.uuid4,
        editable=False,
        help_text="The upload's id, also part of its storage key `incoming/<id>`.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="direct_uploads",
        help_text="The rights holder who asked for the form; only they can confirm it.",
    )
    filename = models.CharField(
        max_length=255, help_text="The file's name as given; its extension must tell its type."
    )
    content_type = models.CharField(
        max_length=100, help_text="The media type the presigned form requires."
    )
    size = models.PositiveBigIntegerField(
        help_text="The exact size in bytes the presigned form allows."
    )
    key = models.CharField(
        max_length=255,
        unique=True,
        help_text="Storage key the file is posted to, under `incoming/`; deleted once confirmed.",
    )
    expires_at = models.DateTimeField(
        help_text="The presigned form and the confirmation stop working at this time."
    )
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the file was verified and became a work."
    )
    work = models.OneToOneField(
        "marketplace.Work",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="direct_upload",
        help_text="The work created on confirmation.",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the form was issued.")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="directupload_size_positive"),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True, work__isnull=True)
                | Q(confirmed_at__isnull=False, work__isnull=False),
                name="directupload_confirmed_has_work",
            ),
        ]

    def __str__(self) -> str:
        return f"direct upload {self.pk} ({self.filename})"
