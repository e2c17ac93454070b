"""Plans and quota periods: Free by default, Curation while the subscription is paid."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from billing.models import Subscription

ACTIVE_STATUSES = ("active", "trialing")


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    price_micros: int
    monthly_quota: int
    private_collections: bool


def free_plan() -> Plan:
    return Plan("free", "Free", 0, settings.PLAN_FREE_MONTHLY_DOWNLOADS, False)


def curation_plan() -> Plan:
    return Plan(
        "curation",
        "Curation",
        settings.PLAN_CURATION_PRICE_MICROS,
        settings.PLAN_CURATION_MONTHLY_DOWNLOADS,
        True,
    )


@dataclass(frozen=True)
class PlanPeriod:
    """The plan a buyer is on now and the quota period it counts downloads in."""

    plan: Plan
    period_start: datetime
    period_end: datetime
    subscription_status: str = ""
    cancel_at_period_end: bool = False


def _calendar_month(now: datetime) -> tuple[datetime, datetime]:
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def plan_for(buyer, *, now: datetime | None = None) -> PlanPeriod:
    """Curation while Stripe says the subscription is active and its period runs; otherwise
    Free, counted per calendar month (UTC)."""
    subscription = Subscription.objects.filter(buyer=buyer).first()
    return plan_period(subscription, now=now or timezone.now())


def plan_period(subscription: Subscription | None, *, now: datetime) -> PlanPeriod:
    """`plan_for`, for a subscription the caller has read (None: the buyer has none)."""
    if (
        subscription
        and subscription.status in ACTIVE_STATUSES
        and subscription.current_period_start
        and subscription.current_period_start <= now < subscription.current_period_end
    ):
        return PlanPeriod(
            curation_plan(),
            subscription.current_period_start,
            subscription.current_period_end,
            subscription.status,
            subscription.cancel_at_period_end,
        )
    start, end = _calendar_month(now)
    return PlanPeriod(free_plan(), start, end, subscription.status if subscription else "")
