"""Rights holders: their profile (with payout status) and the usage report of their works."""

import csv
import io

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.models import ConnectAccount
from marketplace.api import docs
from marketplace.api.billing import UsdField
from marketplace.api.permissions import IsRightsHolder
from marketplace.models import RightsHolderProfile
from marketplace.usage import usage_report


class ProfileSerializer(serializers.ModelSerializer):
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
    earned_usd = UsdField(source="earned_micros", help_text="Earned, less refunds.")
    purposes = serializers.DictField(
        child=serializers.IntegerField(), help_text="Licenses by declared purpose."
    )


class UsageTotalsSerializer(serializers.Serializer):
    downloads = serializers.IntegerField()
    grants = serializers.IntegerField()
    earned_usd = UsdField(source="earned_micros")
    paid_out_usd = UsdField(source="paid_out_micros")


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
        rows = UsageSerializer(usage_report(request.user)).data["works"]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["work_id", "asset_id", "title", "downloads", "grants", "buyers",
                         "earned_usd", "research", "commercial"])  # fmt: skip
        for row in rows:
            writer.writerow([row["work_id"], row["asset_id"], row["title"], row["downloads"],
                             row["grants"], row["buyers"], row["earned_usd"],
                             row["purposes"].get("research", 0),
                             row["purposes"].get("commercial", 0)])  # fmt: skip
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="usage.csv"'
        return response
