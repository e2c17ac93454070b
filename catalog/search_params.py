"""What a search may ask: the parameters of the asset search and the classifier
thresholds, checked and named the same way wherever they come from (the API's query
string, a buyer's saved thresholds, a dataset release's filters)."""

from collections.abc import Mapping

from rest_framework import serializers

from catalog.models import License, Use
from catalog.search import ORDERINGS, SCORE_FILTERS
from common.fields import UsdAmountField

MIME_TYPES = ["image/jpeg", "image/png", "image/webp", "image/tiff", "image/gif"]


class CommaSeparatedField(serializers.ListField):
    """`a,b` or repeated parameters, as one list."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [part.strip() for part in data.split(",") if part.strip()]
        elif isinstance(data, list):
            data = [part.strip() for item in data for part in item.split(",") if part.strip()]
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:  # name the parameter, not "license.0"
            detail = exc.detail.values() if isinstance(exc.detail, dict) else [exc.detail]
            raise serializers.ValidationError(
                [str(m) for messages in detail for m in messages]
            ) from exc


class AssetSearchParamsSerializer(serializers.Serializer):
    """Query parameters of GET /api/v1/assets/. Unknown parameters are refused."""

    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Words to find in title, creator, tags and description. Quotes for phrases, "
        "-word to exclude, OR between alternatives.",
    )
    license = CommaSeparatedField(
        child=serializers.ChoiceField(choices=License.values),
        required=False,
        help_text="One or more of pdm-1.0, cc0-1.0, opt-in (comma-separated).",
    )
    source = CommaSeparatedField(
        child=serializers.RegexField(r"^[a-z0-9_]{1,64}$"),
        required=False,
        help_text="One or more sources, e.g. wikimedia_commons,europeana.",
    )
    creator = serializers.CharField(
        required=False, max_length=500, help_text="Creator's name, exactly (case ignored)."
    )
    year_from = serializers.IntegerField(
        required=False, min_value=-3000, max_value=2100, help_text="Made in or after this year."
    )
    year_to = serializers.IntegerField(
        required=False, min_value=-3000, max_value=2100, help_text="Made in or before this year."
    )
    added_after = serializers.DateField(
        required=False, help_text="Added to the catalog on or after this day (YYYY-MM-DD)."
    )
    added_before = serializers.DateField(
        required=False, help_text="Added to the catalog before this day (YYYY-MM-DD)."
    )
    min_width = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)
    min_height = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)
    min_aspect = serializers.FloatField(
        required=False, min_value=0.01, max_value=100, help_text="Width / height, at least."
    )
    max_aspect = serializers.FloatField(
        required=False, min_value=0.01, max_value=100, help_text="Width / height, at most."
    )
    mime_type = CommaSeparatedField(
        child=serializers.ChoiceField(choices=MIME_TYPES), required=False
    )
    use = serializers.ChoiceField(
        choices=Use.values,
        required=False,
        help_text="Only what may be used so: " + ", ".join(Use.values) + ". Opt-in works "
        "whose current offer allows this use, and the base set (PDM and CC0 allow every "
        "use). With a price filter, the price of this use is compared.",
        error_messages={
            "invalid_choice": 'Unknown use "{input}"; the uses are ' + ", ".join(Use.values) + "."
        },
    )
    min_price = UsdAmountField(
        required=False, help_text="USD per download, at least (opt-in works)."
    )
    max_price = UsdAmountField(required=False, help_text="USD per download, at most.")
    free_only = serializers.BooleanField(
        required=False, default=False, help_text="Only assets that cost nothing to download."
    )
    ordering = serializers.ChoiceField(
        choices=ORDERINGS,
        required=False,
        help_text="relevance (with q; the default then), newest (the default otherwise) or id. "
        "Relevance ranks the newest matches (SEARCH_RANK_WINDOW, 10,000 by default); any "
        "older matches follow them, newest first, so paging still reaches every match.",
    )
    cursor = serializers.CharField(
        required=False, max_length=500, help_text="The `next` cursor of the previous page."
    )
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500)
    facets = serializers.BooleanField(
        required=False, default=False,
        help_text="true: add counts by source and by license for this query.",
    )  # fmt: skip
    use_saved_thresholds = serializers.BooleanField(
        required=False, default=True,
        help_text="false: leave out your saved default thresholds (/api/v1/me/thresholds/) "
        "for this search. A threshold given here always wins over a saved one.",
    )  # fmt: skip

    def get_fields(self):
        fields = super().get_fields()
        for score in SCORE_FILTERS:  # classifier thresholds plug in here
            fields[score.param] = score.field()
        return fields

    def validate(self, attrs):
        for low, high in (("year_from", "year_to"), ("min_aspect", "max_aspect"),
                          ("min_price", "max_price"), ("added_after", "added_before")):  # fmt: skip
            both = attrs.get(low) is not None and attrs.get(high) is not None
            if both and attrs[low] > attrs[high]:
                raise serializers.ValidationError({low: [f"Must not be above {high}."]})
        if attrs.get("ordering") == "relevance" and not attrs.get("q"):
            raise serializers.ValidationError({"ordering": ["relevance needs a q to rank by."]})
        attrs["min_price_micros"] = attrs.pop("min_price", None)
        attrs["max_price_micros"] = attrs.pop("max_price", None)
        return attrs


class ThresholdsSerializer(serializers.Serializer):
    """Classifier thresholds, named and checked as the search parameters are; null: no
    threshold. Unknown names are refused."""

    # One field per SCORE_FILTERS entry, that entry's own: a new score needs nothing here.
    def get_fields(self):
        fields = {}
        for score in SCORE_FILTERS:
            field = score.field()
            field.allow_null = True  # null: no threshold (and, when saving, clears one)
            fields[score.param] = field
        return fields

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        errors = {
            name: [f"Unknown threshold; the thresholds are {', '.join(self.fields)}."]
            for name in unknown
        }
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**errors, **exc.detail}) from exc
        if errors:
            raise serializers.ValidationError(errors)
        return values
