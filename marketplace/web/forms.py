"""Helpers shared by the pages' forms."""

from decimal import Decimal, InvalidOperation

from django import forms

from common.errors import DomainError
from common.money import MICROS_PER_USD


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: each named field under its control, the
    message on top (fields the form does not have are said in the message too)."""
    shown = False
    for name, messages in error.fields.items():
        field = name.split(".")[0]
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
            shown = True
    if not shown or error.message not in " ".join(m for ms in error.fields.values() for m in ms):
        form.add_error(None, error.message)


class UsdAmountField(forms.Field):
    """A dollar amount typed by a person ("0.05", "$1") as integer micro-USD, exactly."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        text = str(value or "").strip().lstrip("$").strip()
        if not text:
            return None
        if len(text) > 20:
            raise forms.ValidationError("Write an amount in US dollars, such as 0.05.")
        try:
            amount = Decimal(text) * MICROS_PER_USD
        except InvalidOperation:
            raise forms.ValidationError("Write an amount in US dollars, such as 0.05.") from None
        if not amount.is_finite() or amount != amount.to_integral_value():
            raise forms.ValidationError("At most six decimals (0.000001 is the smallest step).")
        if amount < 0:
            raise forms.ValidationError("A price cannot be negative.")
        return int(amount)
