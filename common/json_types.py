"""JSON bodies are typed as the schema says.

DRF's fields are lenient on purpose, for forms and query strings where every value is text:
a CharField takes the number 5 as "5", an IntegerField the string "5", a BooleanField the
string "0". In a JSON body that leniency makes one request mean the same as another the
schema calls invalid, so clients generated from the schema, and fuzzers reading it, cannot
tell what the API accepts. Request serializers that read JSON mix in `JsonTypedSerializer`:
a JSON value of the wrong type is a 400 naming its field, as the OpenAPI schema declares;
forms and query strings (a QueryDict) keep DRF's reading of text."""

from collections.abc import Mapping

from rest_framework import serializers

TEXT_FIELDS = (
    serializers.CharField,  # Email, URL, Regex, Slug, IP address ... are CharFields
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.DurationField,
    serializers.UUIDField,
    serializers.DecimalField,  # exact amounts travel as strings ("0.05")
)
NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "a string",
         list: "a list", dict: "an object"}  # fmt: skip


def _expected(field) -> type | tuple[type, ...] | None:
    """The JSON type a field's value must have; None when any will do."""
    if isinstance(field, serializers.BooleanField):
        return bool
    if isinstance(field, serializers.IntegerField):
        return int
    if isinstance(field, serializers.FloatField):
        return (int, float)
    if isinstance(field, serializers.ChoiceField | serializers.ListSerializer):
        if isinstance(field, serializers.MultipleChoiceField | serializers.ListSerializer):
            return list
        kinds = {type(key) for key in field.choices}
        return kinds.pop() if len(kinds) == 1 and kinds <= {str, int} else None
    if isinstance(field, TEXT_FIELDS):
        return str
    if isinstance(field, serializers.ListField):
        return list
    if isinstance(field, serializers.Serializer | serializers.DictField):
        return dict
    return None  # JSONField, custom fields: their own validation decides


def _type_ok(value, expected) -> bool:
    if isinstance(value, bool):
        return expected is bool or (isinstance(expected, tuple) and bool in expected)
    return isinstance(value, expected)


def _message(expected) -> str:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if float in kinds:
        return "Must be a number."
    return f"Must be {NAMES[kinds[0]]}."


def json_type_errors(field, value, name: str = "") -> dict[str, list[str]]:
    """Errors by dotted field name for JSON values of the wrong type under `field`."""
    if value is None or getattr(field, "read_only", False):
        return {}  # null is the field's own business (allow_null)
    expected = _expected(field)
    if expected is not None and not _type_ok(value, expected):
        return {name or "non_field_errors": [_message(expected)]}
    errors: dict[str, list[str]] = {}
    if isinstance(field, serializers.Serializer) and isinstance(value, Mapping):
        for key, child in field.fields.items():
            if key in value:
                errors |= json_type_errors(child, value[key], f"{name}.{key}" if name else key)
    elif isinstance(field, serializers.ListSerializer | serializers.ListField):
        for index, item in enumerate(value):
            errors |= json_type_errors(field.child, item, f"{name}.{index}")
    elif isinstance(field, serializers.DictField) and field.child is not None:
        for key, item in value.items():
            errors |= json_type_errors(field.child, item, f"{name}.{key}")
    return errors


def is_json_body(data) -> bool:
    """A body the JSON parser read (a plain dict), not a form or query string."""
    return type(data) is dict


def check_json_types(serializer: serializers.Serializer, data) -> None:
    """Refuse a JSON body whose values do not have the types the serializer declares."""
    if is_json_body(data):
        errors = json_type_errors(serializer, data)
        if errors:
            raise serializers.ValidationError(errors)


class JsonTypedSerializer(serializers.Serializer):
    """A request serializer whose JSON input is typed (see the module's docstring)."""

    def to_internal_value(self, data):
        wrong = json_type_errors(self, data) if is_json_body(data) else {}
        if not wrong:
            return super().to_internal_value(data)
        # Name every bad field at once: the wrong types, and what DRF finds in the rest.
        named = {key.split(".")[0] for key in wrong}
        others: dict = {}
        try:
            super().to_internal_value({k: v for k, v in data.items() if k not in named})
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                others = {k: v for k, v in exc.detail.items() if k not in named}
        raise serializers.ValidationError({**others, **wrong})
