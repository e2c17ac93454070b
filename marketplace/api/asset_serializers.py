"""The answers of the asset API: an asset, its detail and provenance, a page of a search."""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from catalog.models import Asset, License
from catalog.selectors import LICENSE_URLS, ThresholdsSerializer, asset_use_prices
from common.fields import OptionalUrlField
from common.money import usd
from provenance.selectors import provenance_record


class AssetSerializer(serializers.ModelSerializer):
    creator_url = OptionalUrlField(help_text="A page about the creator; null if none is known.")
    landing_url = OptionalUrlField(help_text="The item's page at its source; null if none.")
    original_url = OptionalUrlField(help_text="The original file at its source; null if none.")
    thumbnail_url = serializers.SerializerMethodField(
        help_text="A short-lived URL of the thumbnail, when the original has been cloned."
    )
    price_usd = serializers.SerializerMethodField(
        help_text="The artist's lowest price per download among the uses offered, in USD; 0 "
        "for the base set."
    )
    uses = serializers.SerializerMethodField(
        help_text="Each use it may be licensed for and the artist's price for it in USD (the "
        "platform fee comes on top for opt-in works); a use not listed is not allowed. The "
        "base set allows every use for free."
    )

    class Meta:
        model = Asset
        fields = [
            "id", "source", "source_record_id", "title", "creator", "creator_url",
            "description", "creation_date", "year", "institution", "tags", "width", "height",
            "mime_type", "license", "landing_url", "original_url", "thumbnail_url",
            "price_usd", "uses", "nsfw_score", "face_count", "has_pii", "created_at",
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

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_uses(self, asset: Asset) -> dict[str, str]:
        return {use: usd(price) for use, price in asset_use_prices(asset).items()}


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


class UseTermsSerializer(serializers.Serializer):
    use = serializers.CharField(help_text="A use it may be licensed for.")
    price_usd = serializers.CharField(help_text="The artist's price for this use.")
    platform_fee_usd = serializers.CharField(help_text="The platform's flat fee (paid works).")
    total_usd = serializers.CharField(help_text="What one download for this use costs.")


class DownloadTermsSerializer(serializers.Serializer):
    available = serializers.BooleanField(help_text="Whether it can be licensed now.")
    uses = UseTermsSerializer(
        many=True, help_text="Per use allowed: its price, the fee and the total."
    )
    price_usd = serializers.CharField(help_text="The artist's lowest price among the uses.")
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
            "uses": [
                {
                    "use": use,
                    "price_usd": usd(micros),
                    "platform_fee_usd": usd(fee),
                    "total_usd": usd(micros + fee),
                }
                for use, micros in asset_use_prices(asset).items()
            ],
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


# One page object, not a list of them: the search view is a list action without DRF's
# pagination (keyset pages of its own), which drf-spectacular would otherwise wrap in an array.
@extend_schema_serializer(many=False)
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
