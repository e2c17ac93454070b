from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Asset, License
from catalog.search import ORDERINGS, SCORE_FILTERS
from common.money import usd
from provenance.selectors import provenance_record

MICROS = Decimal(1_000_000)
LICENSE_URLS = {
    License.PDM: "https://creativecommons.org/publicdomain/mark/1.0/",
    License.CC0: "https://creativecommons.org/publicdomain/zero/1.0/",
    License.OPT_IN: None,
}
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


class UsdField(serializers.DecimalField):
    """A USD amount with up to six decimals, returned in micro-USD."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=6, min_value=Decimal(0), **kwargs)

    def to_internal_value(self, data) -> int:
        return int(super().to_internal_value(data) * MICROS)


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
    min_price = UsdField(required=False, help_text="USD per download, at least (opt-in works).")
    max_price = UsdField(required=False, help_text="USD per download, at most.")
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


class AssetSerializer(serializers.ModelSerializer):
    thumbnail_url = serializers.SerializerMethodField(
        help_text="A short-lived URL of the thumbnail, when the original has been cloned."
    )
    price_usd = serializers.SerializerMethodField(
        help_text="The artist's price per download in USD; 0 for the base set."
    )

    class Meta:
        model = Asset
        fields = [
            "id", "source", "source_record_id", "title", "creator", "creator_url",
            "description", "creation_date", "year", "institution", "tags", "width", "height",
            "mime_type", "license", "landing_url", "original_url", "thumbnail_url",
            "price_usd", "nsfw_score", "face_count", "has_pii", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail_url(self, asset: Asset) -> str | None:
        if not asset.thumbnail_key:
            return None
        # The view gives the link maker: an absolute link to the site's thumbnail view.
        link = self.context.get("thumbnail_url") or (lambda pk: reverse("web:thumbnail", args=[pk]))
        return link(asset.pk)

    def get_price_usd(self, asset: Asset) -> str:
        return usd(asset.price_micros or 0)


class ProvenanceSummarySerializer(serializers.Serializer):
    institution = serializers.CharField()
    record_url = serializers.URLField()
    decision = serializers.CharField(help_text="The license decision: `accepted`, ...")
    retrieved_at = serializers.DateTimeField()
    cloned_at = serializers.DateTimeField(allow_null=True)
    sha256 = serializers.CharField()
    evidence = serializers.DictField(help_text="The source's license fields, verbatim.")


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="created_at")
    kind = serializers.CharField(help_text="What happened, e.g. `ingest.accepted`.")
    reason = serializers.CharField(help_text="Reason code of a rejection or takedown.")
    actor = serializers.CharField(help_text="The command, task or moderator that decided.")
    seal_seq = serializers.SerializerMethodField(help_text="Position in the audit log.")
    seal_hash = serializers.SerializerMethodField(
        help_text="The audit log's hash for this entry (check it with verify_audit_log)."
    )

    def get_seal_seq(self, event) -> int | None:
        seal = _event_seal(event)
        return seal.seq if seal else None

    def get_seal_hash(self, event) -> str | None:
        seal = _event_seal(event)
        return seal.hash if seal else None


def _event_seal(event):
    try:
        return event.seal
    except ObjectDoesNotExist:  # not sealed yet
        return None


class AssetProvenanceSerializer(serializers.Serializer):
    asset_id = serializers.IntegerField()
    license = serializers.CharField()
    source = serializers.CharField()
    record = ProvenanceSummarySerializer(allow_null=True)
    history = HistoryEntrySerializer(many=True)


class LicenseSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    url = serializers.URLField(allow_null=True)


class DownloadTermsSerializer(serializers.Serializer):
    available = serializers.BooleanField(help_text="Whether it can be licensed now.")
    price_usd = serializers.CharField(help_text="The artist's price.")
    platform_fee_usd = serializers.CharField(help_text="The platform's flat fee (paid works).")
    total_usd = serializers.CharField(help_text="What one download costs the buyer.")
    counts_against_quota = serializers.BooleanField()


class AssetDetailSerializer(AssetSerializer):
    license_detail = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()
    provenance = serializers.SerializerMethodField()

    class Meta(AssetSerializer.Meta):
        fields = [*AssetSerializer.Meta.fields, "license_detail", "download", "provenance"]
        read_only_fields = fields

    @extend_schema_field(LicenseSerializer)
    def get_license_detail(self, asset: Asset) -> dict:
        return {
            "code": asset.license,
            "name": License(asset.license).label,
            "url": LICENSE_URLS[asset.license],
        }

    @extend_schema_field(DownloadTermsSerializer)
    def get_download(self, asset: Asset) -> dict:
        price = asset.price_micros or 0
        fee = settings.PLATFORM_FEE_MICROS if asset.license == License.OPT_IN else 0
        return {
            "available": True,
            "price_usd": usd(price),
            "platform_fee_usd": usd(fee),
            "total_usd": usd(price + fee),
            "counts_against_quota": True,
        }

    @extend_schema_field(ProvenanceSummarySerializer(allow_null=True))
    def get_provenance(self, asset: Asset) -> dict | None:
        record = provenance_record(asset.pk)
        if record is None:
            return None
        return ProvenanceSummarySerializer(record).data


class FacetsSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=["exact", "estimated"],
        help_text="exact: counted; estimated: PostgreSQL's planner estimate, for queries "
        "selecting more than FACET_EXACT_LIMIT assets.",
    )
    cached = serializers.BooleanField(help_text="Served from the cache (see computed_at).")
    computed_at = serializers.DateTimeField()
    total = serializers.IntegerField()
    source = serializers.DictField(child=serializers.IntegerField())
    license = serializers.DictField(child=serializers.IntegerField())


class AssetPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    previous = serializers.URLField(
        allow_null=True,
        help_text="Always null: asset pages are cursors that go forward only (they stay "
        "stable while assets are added). To go back, keep the URLs you followed.",
    )
    results = AssetSerializer(many=True)
    facets = FacetsSerializer(required=False, help_text="With facets=true.")
    applied_thresholds = ThresholdsSerializer(
        help_text="The classifier thresholds this search applied, each from the request or "
        "else from your saved defaults; null where none applied."
    )
    thresholds_from_saved = serializers.ListField(
        child=serializers.CharField(),
        help_text="The thresholds that came from your saved defaults (not from the request).",
    )
