"""Money at the boundaries: micro-USD inside, Stripe's cents and people's dollars outside."""

from decimal import Decimal

MICROS_PER_USD = 1_000_000
MICROS_PER_CENT = 10_000


def micros_from_cents(cents: int) -> int:
    """Stripe's minor units (cents) to micro-USD."""
    return int(cents) * MICROS_PER_CENT


def cents_from_micros(micros: int) -> int:
    """Micro-USD to whole cents, rounding down: what is left over stays with us to carry."""
    if micros < 0:
        raise ValueError("a negative amount cannot be sent to Stripe")
    return micros // MICROS_PER_CENT


def usd(micros: int) -> str:
    """Micro-USD as an exact USD string with six decimals: 1500 -> '0.001500'."""
    return f"{Decimal(micros) / MICROS_PER_USD:.6f}"
