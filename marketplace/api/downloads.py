"""Buyers' downloads: license grants with signed links, the quota, and the file view that
serves signed links on local storage."""

from django.core.files.storage import default_storage
from django.http import FileResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.fields import DateTimeField
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from billing.selectors import quota_status, wallet_of
from catalog.selectors import EXTENSION_BY_MIME
from common.fields import IdField, IdListField, UsdStringField
from common.json_types import JsonTypedSerializer
from common.links import base_url
from common.money import usd
from marketplace.api import docs
from marketplace.api.authentication import request_allows
from marketplace.api.billing import PlanSerializer
from marketplace.api.idempotency import IDEMPOTENCY_KEY, idempotent_response
from marketplace.api.permissions import IsBuyer
from marketplace.collections import collection_asset_ids
from marketplace.delivery import file_for_token
from marketplace.downloads import downloads_grant, downloads_quote
from marketplace.idempotency import HEADER
from marketplace.manifests import MIME as MANIFEST_MIME
from marketplace.models import DownloadGrant, Purpose, TokenScope, Use
from marketplace.policies import with_consent_headers
from marketplace.receipts import receipt_body


class DownloadRequestSerializer(JsonTypedSerializer):
    asset_ids = IdListField(
        required=False,
        max_length=10_000,
        help_text="Assets to download (up to 10,000); or name a `collection`.",
    )
    collection = IdField(required=False, help_text="Download every asset of your collection.")
    purpose = serializers.ChoiceField(
        choices=Purpose.choices, help_text="The declared purpose: research or commercial."
    )
    use = serializers.ChoiceField(
        choices=Use.choices,
        required=False,
        allow_blank=True,
        help_text="The declared use: " + ", ".join(Use.values) + ". Needed for opt-in works "
        "(each is licensed for this one use at the price its offer sets for it); the base "
        "set (PDM, CC0) allows every use.",
        error_messages={
            "invalid_choice": 'Unknown use "{input}"; the uses are ' + ", ".join(Use.values) + "."
        },
    )
    purpose_note = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="The use, in your words."
    )
    skip_unavailable = serializers.BooleanField(
        default=False,
        help_text="Grant what is available and list the rest, instead of refusing all.",
    )

    def validate(self, attrs):
        if bool(attrs.get("asset_ids")) == bool(attrs.get("collection")):
            raise serializers.ValidationError(
                {"asset_ids": ["Send either `asset_ids` or `collection`, not both or neither."]}
            )
        return attrs


class DeliveredSerializer(serializers.Serializer):
    asset_id = serializers.IntegerField(source="grant.asset_id")
    grant_id = serializers.IntegerField(source="grant.pk")
    new = serializers.BooleanField(help_text="False for a re-download of an earlier grant.")
    license = serializers.CharField(source="grant.license")
    terms_version = serializers.CharField(source="grant.terms.version", default="")
    use = serializers.CharField(
        source="grant.use", help_text="The use licensed (empty: a base-set grant, every use)."
    )
    price_usd = UsdStringField(
        source="grant.price_micros", help_text="The artist's price paid, for this use."
    )
    fee_usd = UsdStringField(source="grant.fee_micros", help_text="The platform fee paid.")
    url = serializers.CharField(help_text="Short-lived download link.")
    expires_at = serializers.DateTimeField(source="link.expires_at")


class QuotaSerializer(serializers.Serializer):
    plan = PlanSerializer(source="period")
    used = serializers.IntegerField(help_text="Downloads counted in this period.")
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    resets_at = serializers.DateTimeField()


class ReceiptGrantSerializer(serializers.Serializer):
    grant_id = serializers.IntegerField()
    asset_id = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="The file's SHA-256, hex.")
    use = serializers.CharField(allow_null=True, help_text="The licensed use, if recorded.")
    purpose = serializers.CharField(help_text="The declared purpose.")
    price_micros = serializers.IntegerField(help_text="The artist's price paid, micro-USD.")
    fee_micros = serializers.IntegerField(help_text="The platform fee paid, micro-USD.")
    terms_version = serializers.CharField(help_text="License terms version; empty: PDM/CC0.")


class AuditHeadSerializer(serializers.Serializer):
    sequence = serializers.IntegerField(help_text="Sealed audit-log entries at the time.")
    hash = serializers.CharField(help_text="The last seal's hash.")


class ReceiptPayloadSerializer(serializers.Serializer):
    receipt_id = serializers.CharField()
    buyer_id = serializers.IntegerField()
    issued_at = serializers.CharField(help_text="ISO 8601, UTC.")
    grants = ReceiptGrantSerializer(many=True)
    audit_log_head = AuditHeadSerializer()


class ReceiptSerializer(serializers.Serializer):
    payload = ReceiptPayloadSerializer(
        help_text="What is signed: its canonical JSON (sorted keys, no spaces, UTF-8)."
    )
    signature = serializers.CharField(help_text="Ed25519 signature of the payload, base64.")
    key_id = serializers.CharField(help_text="The key in `/.well-known/receipt-keys.json`.")


class DownloadResultSerializer(serializers.Serializer):
    downloads = DeliveredSerializer(many=True, source="delivered")
    refused = serializers.DictField(
        child=serializers.CharField(), help_text="Asset id to reason, with skip_unavailable."
    )
    charged_usd = UsdStringField(source="charged_micros", help_text="Taken from the wallet.")
    quota = QuotaSerializer()
    wallet_usd = UsdStringField(help_text="The wallet balance after this request.")
    receipt = ReceiptSerializer(
        help_text="The signed receipt of this request's grants (also at "
        "`/api/v1/receipts/{receipt_id}/`)."
    )


drf_datetime = DateTimeField().to_representation


def _result_body(result, request) -> dict:
    """The DownloadResultSerializer's shape, built directly: a bulk response lists 10,000
    downloads, and a serializer per item would take longer than the licensing itself."""
    absolute = base_url(request)
    amounts = {}

    def dollars(micros: int) -> str:
        if micros not in amounts:
            amounts[micros] = usd(micros)
        return amounts[micros]

    downloads = []
    for item in result.delivered:
        grant, link = item.grant, item.link
        downloads.append(
            {
                "asset_id": grant.asset_id,
                "grant_id": grant.pk,
                "new": item.new,
                "license": grant.license,
                "terms_version": item.terms_version,
                "use": grant.use,
                "price_usd": dollars(grant.price_micros),
                "fee_usd": dollars(grant.fee_micros),
                "url": absolute + link.url if link.url.startswith("/") else link.url,
                "expires_at": drf_datetime(link.expires_at),
            }
        )
    return {
        "downloads": downloads,
        "refused": {str(k): v for k, v in result.refused.items()},
        "charged_usd": usd(result.charged_micros),
        "quota": quota_body(result.quota),
        "wallet_usd": usd(result.wallet_micros),
        "receipt": receipt_body(result.receipt),
    }


def quota_body(quota) -> dict:
    """QuotaSerializer's output, built directly (a serializer costs more than the rest of
    a single download's response)."""
    period, plan = quota.period, quota.period.plan
    return {
        "plan": {
            "code": plan.code,
            "name": plan.name,
            "monthly_downloads": plan.monthly_quota,
            "private_collections": plan.private_collections,
            "period_start": drf_datetime(period.period_start),
            "period_end": drf_datetime(period.period_end),
            "subscription_status": period.subscription_status,
            "cancel_at_period_end": period.cancel_at_period_end,
        },
        "used": quota.used,
        "limit": quota.limit,
        "remaining": quota.remaining,
        "resets_at": drf_datetime(quota.resets_at),
    }


class GrantSerializer(serializers.ModelSerializer):
    price_usd = UsdStringField(source="price_micros")
    fee_usd = UsdStringField(source="fee_micros")
    terms_version = serializers.CharField(source="terms.version", default="")

    class Meta:
        model = DownloadGrant
        fields = ["id", "asset", "license", "terms_version", "use", "price_usd", "fee_usd",
                  "purpose", "created_at"]  # fmt: skip


class DownloadsView(ListAPIView):
    permission_classes = [IsBuyer]
    # A `download` token may license what costs nothing; spending needs `purchase`.
    token_scopes = {"POST": TokenScope.DOWNLOAD}
    serializer_class = GrantSerializer

    def get_queryset(self):
        grants = DownloadGrant.objects.filter(buyer=self.request.user).select_related("terms")
        return grants.order_by("-created_at", "-id")

    @extend_schema(
        tags=["downloads"],
        summary="Your license grants, newest first",
        responses={200: GrantSerializer(many=True), 401: docs.UNAUTHENTICATED,
                   403: docs.FORBIDDEN},
    )  # fmt: skip
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["downloads"],
        summary="License and download assets",
        description=(
            "In one transaction: checks each asset (published; withdrawn works only for earlier "
            "grants), counts every asset against the monthly quota, charges the wallet for new "
            "opt-in grants (price + platform fee), records the grants and audit events, and "
            "returns short-lived links. An opt-in work is licensed for the declared `use` at "
            "that use's price; a grant for one use does not cover another (a new grant, "
            "charged). Re-downloads for the same use are free but count against the quota. "
            "Send an `Idempotency-Key` header to make retries safe."
        ),
        parameters=[IDEMPOTENCY_KEY, *docs.tdm_headers(201)],
        request=DownloadRequestSerializer,
        responses={
            201: DownloadResultSerializer,
            400: docs.BAD_REQUEST,
            402: docs.error("`insufficient_funds`: `fields.needed_micros` says how much more."),
            403: docs.error("Not a buyer, the wallet is frozen, or `insufficient_scope`: the "
                            "token may not spend (scope `download`) and an asset costs money."),
            409: docs.error("`unavailable`: `fields` maps each asset id to its reason "
                            "(`not_found`, `withdrawn`, `taken_down`, `under_review`, "
                            "`use_not_allowed`: the offer does not allow the declared use, "
                            "`use_required`: name a use for opt-in works, "
                            "`purpose_not_allowed`, `not_stored`, `stored_file_unreadable`: "
                            "the work's stored file cannot be read; moderators are told). "
                            "`stored_file_unreadable` is the code when any asset is refused "
                            "for that reason."),
            422: docs.error("`idempotency_key_reused`: the key was sent with another request."),
            429: docs.error("`quota_exceeded`: `fields.resets_at` says when the quota resets."),
        },
    )  # fmt: skip
    def post(self, request):
        form = DownloadRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data

        def grant() -> Response:
            ids = data.get("asset_ids") or collection_asset_ids(
                owner=request.user, collection_id=data["collection"]
            )
            result = downloads_grant(
                buyer=request.user,
                asset_ids=ids,
                purpose=data["purpose"],
                use=data.get("use", ""),
                purpose_note=data.get("purpose_note", ""),
                skip_unavailable=data["skip_unavailable"],
                idempotency_key=request.headers.get(HEADER, ""),
                may_spend=request_allows(request, TokenScope.PURCHASE),
            )
            return Response(_result_body(result, request), status=status.HTTP_201_CREATED)

        response = idempotent_response(request, grant)
        if response.status_code == status.HTTP_201_CREATED:  # a replay too: from its body
            granted = [(d["asset_id"], d["license"]) for d in response.data["downloads"]]
            with_consent_headers(response, granted)
        return response


class QuoteRequestSerializer(DownloadRequestSerializer):
    skip_unavailable = None  # a quote always lists what would be refused


class QuoteSerializer(serializers.Serializer):
    requested = serializers.IntegerField(help_text="Distinct assets asked for.")
    free = serializers.ListField(
        child=serializers.IntegerField(), help_text="New grants that cost nothing (the base set)."
    )
    paid = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="New grants of opt-in works: price plus fee each.",
    )
    again = serializers.ListField(
        child=serializers.IntegerField(), help_text="Held already: free, counted against the quota."
    )
    refused = serializers.DictField(
        child=serializers.CharField(), help_text="Asset id to the reason it cannot be licensed."
    )
    price_usd = UsdStringField(source="price_micros", help_text="The artists' prices.")
    fee_usd = UsdStringField(source="fee_micros", help_text="The platform's fees.")
    total_usd = UsdStringField(source="total_micros", help_text="What would be charged.")
    quota_remaining = serializers.IntegerField(source="quota.remaining")
    quota_after = serializers.IntegerField(help_text="Downloads left this period after it.")
    wallet_usd = UsdStringField(source="wallet_micros")
    wallet_after_usd = UsdStringField(source="wallet_after", help_text="Negative: short.")
    wallet_frozen = serializers.BooleanField()
    shortfall_usd = UsdStringField(source="shortfall_micros", help_text="Top up this much.")


class QuoteView(APIView):
    permission_classes = [IsBuyer]
    # Reads only: a quote spends and counts nothing.
    token_scopes = {"POST": TokenScope.READ}

    @extend_schema(
        tags=["downloads"],
        summary="What licensing these assets would cost, before you confirm",
        description=(
            "The decisions `POST /api/v1/downloads/` would make now (with `skip_unavailable`), "
            "read without writing anything: new free and paid grants, re-downloads, refusals "
            "with reasons, the total with fees, and the quota and wallet after."
        ),
        request=QuoteRequestSerializer,
        responses={200: QuoteSerializer, 400: docs.BAD_REQUEST, 401: docs.UNAUTHENTICATED,
                   403: docs.FORBIDDEN, 404: docs.NOT_FOUND},
    )  # fmt: skip
    def post(self, request):
        form = QuoteRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        ids = data.get("asset_ids") or collection_asset_ids(
            owner=request.user, collection_id=data["collection"]
        )
        quote = downloads_quote(
            buyer=request.user, asset_ids=ids, purpose=data["purpose"], use=data.get("use", "")
        )
        body = QuoteSerializer(quote).data
        body["refused"] = {str(k): v for k, v in quote.refused.items()}
        return Response(body)


class QuotaBalanceSerializer(QuotaSerializer):
    wallet_usd = UsdStringField(help_text="What the wallet holds.")


class QuotaView(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(
        tags=["downloads"],
        summary="Plan, quota used and remaining, reset date and wallet balance",
        responses={200: QuotaBalanceSerializer, 401: docs.UNAUTHENTICATED, 403: docs.FORBIDDEN},
    )
    def get(self, request):
        quota = quota_status(request.user)
        body = {
            "period": quota.period,
            "used": quota.used,
            "limit": quota.limit,
            "remaining": quota.remaining,
            "resets_at": quota.resets_at,
            "wallet_usd": wallet_of(request.user).balance_micros,
        }
        return Response(QuotaBalanceSerializer(body).data)


# What a signed link can serve: every stored image type, manifests and release files.
SERVED_TYPES = {
    **{mime: "A licensed image." for mime in EXTENSION_BY_MIME},
    **{mime: f"A manifest ({fmt})." for fmt, mime in MANIFEST_MIME.items()},
    "application/octet-stream": "An image stored without a known type.",
}


class FileView(APIView):
    """Serves a signed download link on local storage (the demo). The link is the
    credential; it is checked again now, so a takedown stops it at once."""

    permission_classes = [AllowAny]
    authentication_classes = []
    # Its own rate (API_THROTTLE_FILES) rather than the anonymous one: a buyer's pipeline
    # fetches a manifest's thousands of files from one address.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "files"

    @extend_schema(
        tags=["downloads"],
        summary="Fetch a downloaded file through its signed link",
        description="Serves what the link names, with its own content type: a licensed "
        "image (JPEG, PNG, WebP, TIFF or GIF, as stored), a manifest (JSON Lines or Parquet) "
        "or a dataset release file (Parquet). An opt-in work's file carries its terms: XMP "
        "`plus:DataMining` for its uses with a link to its page and, where the platform "
        "signs, a C2PA manifest with a CAWG training-mining assertion.",
        parameters=docs.tdm_headers(200),
        responses={
            **{
                (200, content_type): OpenApiResponse(bytes, description=what)
                for content_type, what in SERVED_TYPES.items()
            },
            403: docs.error("The link is invalid or expired."),
            410: docs.error("The asset was taken down."),
            429: docs.error("More than API_THROTTLE_FILES from one address: wait `Retry-After`."),
        },
    )
    def get(self, request, token: str):
        served = file_for_token(token)
        response = FileResponse(
            default_storage.open(served.key, "rb"),
            as_attachment=not served.inline,
            filename=served.filename,
            content_type=served.mime_type,
        )
        if served.asset_id is not None:  # a granted asset's file, not a thumbnail
            with_consent_headers(response, [(served.asset_id, served.license)])
        return response
