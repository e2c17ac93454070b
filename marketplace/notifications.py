"""Notices to people, on the site (and the API) and by email through Django's mail backend:
grant holders whose licensed asset was taken down; rights holders whose work was taken
down, whose declaration was rejected or hold released, and who were sent a payout."""

import logging

from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
from django.db import transaction
from django.utils import timezone

from common.money import usd_text
from marketplace.models import DownloadGrant, Notification, User, Work

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
    work_taken_down_notify(asset_id=asset_id, reason=reason)


# --- rights holders' notices about their own works and payouts ---------------------------


def owner_notify(*, user, kind: str, subject: str, message: str, asset_id=None) -> Notification:
    """A notice on the site and, once the caller's transaction commits, the same by email."""
    notice = Notification.objects.create(user=user, kind=kind, asset_id=asset_id, message=message)
    if user.email:
        transaction.on_commit(lambda: _send(subject, message, user.email))
    return notice


def _send(subject: str, message: str, email: str) -> None:
    try:
        send_mail(subject, message, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=False)
    except OSError:  # the notice is on the site; the mail can be resent by staff
        log.exception("Notice %r to %s was not sent", subject, email)


def work_taken_down_notify(*, asset_id: int, reason: str) -> None:
    """Tell the owner of an opt-in work that a moderator took it down (once per takedown)."""
    work = Work.objects.select_related("owner", "asset").filter(asset_id=asset_id).first()
    if (
        work is None
        or Notification.objects.filter(
            user=work.owner, kind=Notification.Kind.WORK_TAKEN_DOWN, asset_id=asset_id
        ).exists()
    ):
        return
    owner_notify(
        user=work.owner,
        kind=Notification.Kind.WORK_TAKEN_DOWN,
        asset_id=asset_id,
        subject=f"Your work “{work.asset.title}” was taken down",
        message=f"A moderator took down your work “{work.asset.title}” "
        f"({reason.replace('_', ' ')}). Buyers can no longer find or license it. Its page "
        "shows the decision in its history.",
    )


def declaration_rejected_notify(*, work: Work, note: str) -> None:
    owner_notify(
        user=work.owner,
        kind=Notification.Kind.DECLARATION_REJECTED,
        asset_id=work.asset_id,
        subject=f"Your ownership declaration for “{work.asset.title}” was rejected",
        message=f"A moderator rejected your ownership declaration for “{work.asset.title}”: "
        f"{note} You can declare again with more evidence from the work's page.",
    )


def hold_released_notify(*, work: Work) -> None:
    owner_notify(
        user=work.owner,
        kind=Notification.Kind.HOLD_RELEASED,
        asset_id=work.asset_id,
        subject=f"The review hold on “{work.asset.title}” was released",
        message=f"A moderator reviewed “{work.asset.title}” and released its hold. It is "
        "published as soon as it is offered and your ownership is accepted.",
    )


def on_payout_sent(sender, *, rights_holder_id: int, amount_micros: int, batch: str, **kw):
    user = User.objects.filter(pk=rights_holder_id).first()
    if user is not None:
        payout_sent_notify(user=user, amount=usd_text(amount_micros), batch=batch)


def payout_sent_notify(*, user, amount: str, batch: str) -> None:
    owner_notify(
        user=user,
        kind=Notification.Kind.PAYOUT_SENT,
        subject=f"A payout of {amount} is on its way",
        message=f"We sent you {amount} (payout {batch}) through Stripe. It reaches "
        "your bank on Stripe's usual schedule.",
    )


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the person's notifications read: these ids, or all. Returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
