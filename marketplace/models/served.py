"""The file an offer serves: the work's original with the offer's terms written in (XMP,
and a signed C2PA manifest where a signing key is configured). Made once per offer, when
the work is offered; grants under that offer download it."""

from django.db import models


class OfferFile(models.Model):
    offer = models.OneToOneField(
        "marketplace.Offer",
        on_delete=models.CASCADE,
        related_name="served_file",
        help_text="The offer whose terms the file carries.",
    )
    key = models.CharField(max_length=300, help_text="Storage key of the file served.")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file served.")
    byte_size = models.PositiveBigIntegerField(help_text="Size of the file served, in bytes.")
    uses = models.JSONField(
        default=dict,
        help_text="The uses written into it, each with its price in micro-USD, as "
        "`marketplace.selectors.work_uses` gave them when it was made.",
    )
    offer_url = models.URLField(max_length=500, help_text="The offer page it links to.")
    license_url = models.URLField(
        max_length=500, help_text="The license its C2PA manifest names (the terms version)."
    )
    signed = models.BooleanField(
        default=False, help_text="It carries a C2PA manifest signed with our key."
    )
    note = models.CharField(
        max_length=500, blank=True, help_text="Why it is not signed, if signing failed."
    )
    made_at = models.DateTimeField(auto_now_add=True, help_text="When it was made.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(key="") & models.Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="offer_file_key_and_hash",
            )
        ]

    def __str__(self) -> str:
        return f"file of offer {self.offer_id}"
