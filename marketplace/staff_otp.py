"""Staff second factor: an authenticator app (TOTP) and single-use recovery codes, through
django-otp. The admin asks for one of them when STAFF_REQUIRE_2FA is on (marketplace.
admin_site)."""

from dataclasses import dataclass

from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.errors import AlreadyExists, DomainError
from marketplace.models import User
from provenance.models import EventKind, ProvenanceEvent
from provenance.services import events_append

RECOVERY_CODES = 10


@dataclass(frozen=True)
class Enrolment:
    """What the staff member needs, shown once: the authenticator app's provisioning URI
    (also as a QR code) and the recovery codes."""

    config_url: str
    recovery_codes: list[str]


@transaction.atomic
def staff_otp_enrol(*, user: User, actor: str, replace: bool = False) -> Enrolment:
    """Give a staff account a new authenticator device and recovery codes. An account that
    has devices keeps them unless `replace` (a lost phone): then they stop working."""
    if not user.is_staff:
        raise DomainError(f"{user.get_username()} is not a staff account.", code="not_staff")
    existing = list(devices_for_user(user, confirmed=None))
    if existing and not replace:
        raise AlreadyExists(
            f"{user.get_username()} already has a second factor; replace it to enrol anew."
        )
    for device in existing:
        device.delete()
    totp = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    events_append(
        [
            ProvenanceEvent(
                asset_id=None,
                kind=EventKind.STAFF_OTP_ENROLLED,
                actor=actor[:150],
                data={
                    "user_id": user.pk,
                    "username": user.get_username(),
                    "replaced": bool(existing),
                },
            )
        ]
    )
    return Enrolment(config_url=totp.config_url, recovery_codes=codes)
