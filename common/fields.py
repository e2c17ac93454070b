"""Fields every request and answer uses, checked and written the same way everywhere.

Ids: every id taken in a body, a query or a path is checked against the range of our id
columns (PostgreSQL bigint, from 1), so an impossible id is a 400 naming its field (or, in
a path, a 404) and never reaches a query. Money: dollar amounts people type are read into
integer micro-USD, and micro-USD are written as exact dollar strings."""

from decimal import Decimal

from rest_framework import serializers

from common.money import MICROS_PER_USD, usd

ID_MAX = 2**63 - 1  # PostgreSQL bigint: every table's id
ID_RANGE = f"Ids are whole numbers from 1 to {ID_MAX}."


class IdField(serializers.IntegerField):
    """The id of one of our rows."""

    default_error_messages = {
        "invalid": f"Not an id. {ID_RANGE}",
        "min_value": f"No such id. {ID_RANGE}",
        "max_value": f"No such id. {ID_RANGE}",
        "max_string_length": f"No such id. {ID_RANGE}",
    }

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=ID_MAX, **kwargs)


class IdListField(serializers.ListField):
    """Several ids at once."""

    def __init__(self, **kwargs):
        super().__init__(child=IdField(), **kwargs)


class IdConverter:
    """`<id:pk>` in a URL: an id in range, else the path matches nothing (a JSON 404)."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)  # digits only; very long ones raise ValueError too
        if not 1 <= number <= ID_MAX:
            raise ValueError(f"{value} is not an id")
        return number

    def to_url(self, value) -> str:
        return str(value)


class UsdAmountField(serializers.DecimalField):
    """In: a USD amount with up to six decimals ("0.05"), read as integer micro-USD."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=6, min_value=Decimal(0), **kwargs)

    def to_internal_value(self, data) -> int:
        return int(super().to_internal_value(data) * MICROS_PER_USD)


class UsdStringField(serializers.CharField):
    """Out: micro-USD as an exact USD string with six decimals ("0.050000")."""

    def to_representation(self, value) -> str:
        return usd(value)


class OptionalUrlField(serializers.URLField):
    """Out: a URL, or null where there is none (never "", which is no URI)."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value) -> str | None:
        return value or None
