"""Money at the boundaries: integer micro-USD inside; Stripe's cents, exact dollar strings
for programs and short dollar amounts for people outside. The one place that converts."""

from decimal import Decimal, InvalidOperation

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


def usd_text(micros: int) -> str:
    """USD for people: cents when whole, else up to six decimals ($0.05, $0.001)."""
    text = usd(micros).rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def micros_from_usd(text: str) -> int:
    """A dollar amount written by a person ("10", "0.001") as integer micro-USD, exactly."""
    try:
        value = Decimal(text.strip()) * MICROS_PER_USD
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a USD amount") from None
    if value != value.to_integral_value():
        raise ValueError(f"{text!r} has more than six decimals")
    return int(value)
