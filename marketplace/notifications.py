"""Telling grant holders that an asset they licensed was taken down: a notification they
see in the API and an email through Django's mail backend."""

import logging

from django.conf import settings
from django.core.mail import send_mass_mail

from marketplace.models import DownloadGrant, Notification

log = logging.getLogger(__name__)

TAKEDOWN_MESSAGE = (
    "Asset {asset_id}, which you licensed, has been taken down ({reason}). It can no longer "
    "be downloaded and later manifests leave it out. Please delete your copies of it and "
    "remove it from your training data."
)


def takedown_notify(*, asset_id: int, reason: str) -> int:
    """Notify every holder of a grant on the asset once. Returns how many were new."""
    holders = (
        DownloadGrant.objects.filter(asset_id=asset_id)
        .select_related("buyer")
        .values_list("buyer_id", "buyer__email")
    )
    message = TAKEDOWN_MESSAGE.format(asset_id=asset_id, reason=reason.replace("_", " "))
    created = Notification.objects.bulk_create(
        [
            Notification(
                user_id=buyer_id,
                kind=Notification.Kind.TAKEDOWN,
                asset_id=asset_id,
                message=message,
            )
            for buyer_id, _ in holders
        ],
        ignore_conflicts=True,
    )
    emails = [
        (f"Asset {asset_id} was taken down", message, settings.DEFAULT_FROM_EMAIL, [email])
        for _, email in holders
        if email
    ]
    if emails:
        try:
            send_mass_mail(emails, fail_silently=False)
        except OSError:  # the notifications are kept; the mail can be resent by staff
            log.exception("Takedown emails for asset %s were not sent", asset_id)
    return len(created)


def on_asset_taken_down(sender, *, asset_id: int, reason: str, **kwargs) -> None:
    takedown_notify(asset_id=asset_id, reason=reason)
