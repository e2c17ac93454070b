"""Rights holders: their profile (with payout status), and the usage report and full usage
history of their works."""

from django.http import HttpResponse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.models import ConnectAccount
from common.fields import IdField, UsdStringField
from common.json_types import JsonTypedSerializer
from common.money import usd
from marketplace.api import docs
from marketplace.api.permissions import IsRightsHolder
from marketplace.models import RightsHolderProfile
from marketplace.usage import usage_csv, usage_history, usage_report
from provenance.models import EventKind


class ProfileSerializer(JsonTypedSerializer, serializers.ModelSerializer):
    links = serializers.ListField(
        child=serializers.URLField(max_length=500), max_length=10, required=False
    )
    payouts_enabled = serializers.SerializerMethodField(
        help_text="Stripe Connect accepts payouts to you."
    )

    class Meta:
        model = RightsHolderProfile
        fields = ["display_name", "links", "trusted", "payouts_enabled"]
        read_only_fields = ["trusted", "payouts_enabled"]

    def get_payouts_enabled(self, profile) -> bool:
        return ConnectAccount.objects.filter(
            rights_holder=profile.user, payouts_enabled=True
        ).exists()


@extend_schema(tags=["rights holders"])
class ProfileView(APIView):
    permission_classes = [IsRightsHolder]

    def _profile(self, request) -> RightsHolderProfile:
        profile, _ = RightsHolderProfile.objects.get_or_create(
            user=request.user, defaults={"display_name": request.user.get_username()}
        )
        return profile

    @extend_schema(
        summary="Your rights-holder profile",
        responses={200: ProfileSerializer, 401: docs.UNAUTHENTICATED, 403: docs.FORBIDDEN},
    )
    def get(self, request):
        return Response(ProfileSerializer(self._profile(request)).data)

    @extend_schema(
        summary="Change your display name or links",
        request=ProfileSerializer,
        responses={200: ProfileSerializer, 400: docs.BAD_REQUEST, 403: docs.FORBIDDEN},
    )
    def patch(self, request):
        form = ProfileSerializer(self._profile(request), data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        form.save()
        return Response(form.data)


class WorkUsageSerializer(serializers.Serializer):
    work_id = serializers.IntegerField()
    asset_id = serializers.IntegerField()
    title = serializers.CharField()
    downloads = serializers.IntegerField(help_text="Every download, re-downloads included.")
    grants = serializers.IntegerField(help_text="Licenses bought.")
    buyers = serializers.IntegerField(help_text="Distinct buyers.")
    earned_usd = UsdStringField(source="earned_micros", help_text="Earned, less refunds.")
    purposes = serializers.DictField(
        child=serializers.IntegerField(), help_text="Licenses by declared purpose."
    )
    uses = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Licenses by use (`ai_training`, ...; `training_license` for licenses "
        "bought before offers named uses, which carry no use in their events).",
    )
    earned_by_use_usd = serializers.SerializerMethodField(
        help_text="What the licenses of each use paid you (the prices, before any refund)."
    )

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_earned_by_use_usd(self, work) -> dict[str, str]:
        return {use: usd(micros) for use, micros in work.earned_by_use_micros.items()}


class UsageTotalsSerializer(serializers.Serializer):
    downloads = serializers.IntegerField()
    grants = serializers.IntegerField()
    earned_usd = UsdStringField(source="earned_micros")
    paid_out_usd = UsdStringField(source="paid_out_micros")


class UsageSerializer(serializers.Serializer):
    works = WorkUsageSerializer(many=True)
    totals = UsageTotalsSerializer()


@extend_schema(tags=["rights holders"])
class UsageView(APIView):
    permission_classes = [IsRightsHolder]

    @extend_schema(
        summary="How your works are used: downloads, buyers, purposes, earnings, payouts",
        responses={200: UsageSerializer, 401: docs.UNAUTHENTICATED, 403: docs.FORBIDDEN},
    )
    def get(self, request):
        return Response(UsageSerializer(usage_report(request.user)).data)


@extend_schema(tags=["rights holders"])
class UsageExportView(APIView):
    permission_classes = [IsRightsHolder]

    @extend_schema(
        summary="The usage report as CSV, one row per work",
        responses={
            (200, "text/csv"): OpenApiResponse(str),
            401: docs.UNAUTHENTICATED,
            403: docs.FORBIDDEN,
        },
    )
    def get(self, request):
        response = HttpResponse(usage_csv(request.user), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="usage.csv"'
        return response


class UsageHistoryParamsSerializer(serializers.Serializer):
    work = IdField(
        required=False,
        help_text="Only this work's history (one of yours; another id is a 404).",
    )
    kind = serializers.ChoiceField(
        choices=EventKind.choices, required=False, help_text="Only events of this kind."
    )
    since = serializers.DateField(required=False, help_text="From this day on (YYYY-MM-DD).")
    until = serializers.DateField(required=False, help_text="Up to this day, included.")

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"since": ["Must not be after until."]})
        return attrs


class UsageEventSerializer(serializers.Serializer):
    """One audit-log event on one of your works. Who bought or downloaded is never shown."""

    id = serializers.IntegerField(help_text="The audit-log event's id.")
    at = serializers.DateTimeField(source="created_at", help_text="When it happened.")
    kind = serializers.CharField(help_text="What happened, e.g. `download.granted`.")
    kind_label = serializers.SerializerMethodField(help_text="The kind in words.")
    work_id = serializers.IntegerField(help_text="Your work.")
    asset_id = serializers.IntegerField(help_text="Its catalog asset.")
    reason = serializers.CharField(
        help_text="Reason code of a rejection, hold, flag or takedown; empty otherwise."
    )
    purpose = serializers.CharField(
        allow_null=True,
        help_text="Downloads: the purpose the buyer declared (research, commercial).",
    )
    use = serializers.CharField(
        allow_null=True,
        help_text="Downloads: the use licensed (`ai_training`, ...); null for downloads from "
        "before licenses named a use, and for other events.",
    )
    price_usd = UsdStringField(
        source="price_micros",
        allow_null=True,
        help_text="Downloads: what the buyer paid you for the license (0 for a download of a "
        "license already bought). Null when not recorded or not a download.",
    )
    terms_version = serializers.CharField(
        allow_null=True, help_text="Downloads: the license terms version it was granted under."
    )
    seal_seq = serializers.IntegerField(
        allow_null=True, help_text="Position in the audit log's hash chain; null until sealed."
    )
    seal_hash = serializers.CharField(
        allow_null=True, help_text="The audit log's hash for this entry; null until sealed."
    )

    def get_kind_label(self, row) -> str:
        return EventKind(row["kind"]).label if row["kind"] in EventKind.values else row["kind"]


EXAMPLE_USAGE_EVENT = {
    "id": 90211, "at": "2026-11-21T12:00:00Z", "kind": "download.granted",
    "kind_label": "Download: licensed", "work_id": 17, "asset_id": 1042, "reason": "",
    "purpose": "commercial", "use": "ai_generative_training", "price_usd": "0.050000",
    "terms_version": "2026-11",
    "seal_seq": 88410, "seal_hash": "3f1c...e9",
}  # fmt: skip


@extend_schema(tags=["rights holders"])
class UsageHistoryView(ListAPIView):
    permission_classes = [IsRightsHolder]
    serializer_class = UsageEventSerializer

    def get_queryset(self):
        form = UsageHistoryParamsSerializer(data=self.request.query_params)
        form.is_valid(raise_exception=True)
        filters = form.validated_data
        return usage_history(
            owner=self.request.user,
            work_id=filters.get("work"),
            kind=filters.get("kind"),
            since=filters.get("since"),
            until=filters.get("until"),
        )

    @extend_schema(
        summary="The full history of your works in the audit log, newest first",
        description="Every event on your works: upload, description changes, ownership "
        "decisions, review holds, flags, takedowns and every download, with the purpose "
        "declared and the price paid to you. Buyers stay private: no buyer's name, email or "
        "id appears (the number of distinct buyers is in /api/v1/usage/).",
        parameters=[UsageHistoryParamsSerializer],
        responses={
            200: UsageEventSerializer(many=True),
            400: docs.BAD_REQUEST,
            401: docs.UNAUTHENTICATED,
            403: docs.FORBIDDEN,
            404: docs.error("The work is not one of yours, or there is no such page."),
        },
        examples=[OpenApiExample("A download", value=EXAMPLE_USAGE_EVENT, response_only=True)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
