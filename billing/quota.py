"""Monthly download quotas: every download counts, re-downloads included."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from billing.models import QuotaUsage
from billing.plans import PlanPeriod, plan_for, plan_period
from common.errors import DomainError


class QuotaExceeded(DomainError):
    code = "quota_exceeded"
    status_code = 429


@dataclass(frozen=True)
class QuotaStatus:
    period: PlanPeriod
    used: int

    @property
    def limit(self) -> int:
        return self.period.plan.monthly_quota

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def resets_at(self) -> datetime:
        return self.period.period_end


def quota_status(buyer, *, now: datetime | None = None) -> QuotaStatus:
    period = plan_for(buyer, now=now)
    usage = QuotaUsage.objects.filter(buyer=buyer, period_start=period.period_start).first()
    return QuotaStatus(period, usage.used if usage else 0)


def quota_lock(buyer, *, now: datetime | None = None) -> tuple[QuotaUsage, PlanPeriod]:
    """Lock the buyer's usage row for the current period. Every download of a buyer takes
    this lock first, so their downloads are decided one after another.

    One statement in the usual case: the buyer's latest usage row is locked and read with
    the subscription that says which period is current; only the first download of a
    period looks further."""
    now = now or timezone.now()
    latest = (
        QuotaUsage.objects.select_for_update(of=("self",))
        .select_related("buyer__subscription")
        .filter(buyer=buyer)
        .order_by("-period_start")
        .first()
    )
    if latest is not None:
        try:
            subscription = latest.buyer.subscription
        except ObjectDoesNotExist:
            subscription = None
        period = plan_period(subscription, now=now)
        if latest.period_start == period.period_start:
            return latest, period
    period = plan_for(buyer, now=now)
    lookup = {"buyer": buyer, "period_start": period.period_start}
    usage = QuotaUsage.objects.select_for_update().filter(**lookup).first()
    if usage is None:  # the period's first download
        try:
            with transaction.atomic():
                QuotaUsage.objects.create(**lookup, period_end=period.period_end)
        except IntegrityError:
            pass  # created by a concurrent download
        usage = QuotaUsage.objects.select_for_update().get(**lookup)
    return usage, period


def quota_consume(usage: QuotaUsage, period: PlanPeriod, *, count: int) -> QuotaStatus:
    """Count `count` downloads on a usage row locked by `quota_lock`, or refuse them all
    with the reset date. The count commits with the caller's transaction."""
    limit = period.plan.monthly_quota
    if usage.used + count > limit:
        left = max(0, limit - usage.used)
        raise QuotaExceeded(
            ngettext("This needs %(n)d download", "This needs %(n)d downloads", count)
            % {"n": count}
            + ngettext(
                " but %(left)d of your %(limit)d is left",
                " but %(left)d of your %(limit)d are left",
                left,
            )
            % {"left": left, "limit": limit}
            + f" on the {period.plan.name} plan; the quota resets on "
            f"{period.period_end:%Y-%m-%d %H:%M} UTC.",
            fields={"remaining": [str(left)], "resets_at": [period.period_end.isoformat()]},
        )
    usage.used += count
    usage.save(update_fields=["used"])
    return QuotaStatus(period, usage.used)
