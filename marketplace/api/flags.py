"""Flagging an asset: any signed-in person, rate-limited."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from common.fields import IdField
from common.json_types import JsonTypedSerializer
from marketplace.api import docs
from moderation.models import Flag, FlagReason
from moderation.services import flag_create


class FlagRequestSerializer(JsonTypedSerializer):
    asset = IdField(help_text="The asset's id.")
    reason = serializers.ChoiceField(choices=FlagReason.choices)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=2000,
        help_text="What is wrong (required for `other`).",
    )  # fmt: skip


class FlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Flag
        fields = ["id", "asset", "reason", "description", "state", "created_at"]


class FlagCreateView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "flags"

    @extend_schema(
        tags=["moderation"],
        summary="Flag an asset for moderators",
        description="Flagging the same asset again while your flag is open changes nothing "
        "(200 with the open flag). Limited to API_THROTTLE_FLAGS per person.",
        request=FlagRequestSerializer,
        responses={
            201: FlagSerializer,
            200: FlagSerializer,
            400: docs.BAD_REQUEST,
            401: docs.UNAUTHENTICATED,
            404: docs.NOT_FOUND,
            429: docs.THROTTLED,
        },
    )
    def post(self, request):
        form = FlagRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        flag, created = flag_create(
            reporter=request.user,
            asset_id=data["asset"],
            reason=data["reason"],
            description=data.get("description", ""),
        )
        return Response(
            FlagSerializer(flag).data, status=status.HTTP_201_CREATED if created else 200
        )
