"""The EU AI Act training-content summary of a buyer's licensed data (JSON or Markdown)."""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from common.fields import IdField
from common.links import base_url
from marketplace.api import docs
from marketplace.api.datasheets import DatasheetNegotiation
from marketplace.api.permissions import IsBuyer
from marketplace.training_summary import (
    summary_scope,
    training_summary,
    training_summary_json,
    training_summary_markdown,
)


class TrainingSummaryQuerySerializer(serializers.Serializer):
    collection = IdField(required=False, help_text="One of your collections.")
    release = IdField(required=False, help_text="A dataset release (your grants in it).")
    as_of = serializers.DateField(
        required=False, help_text="The day (UTC) it describes, YYYY-MM-DD; default today."
    )
    format = serializers.ChoiceField(
        choices=["json", "markdown", "md"], default="json", help_text="json or markdown."
    )

    def validate_as_of(self, value):
        if value > timezone.now().date():
            raise serializers.ValidationError("A day in the future cannot be summarised yet.")
        return value


class TrainingSummaryView(APIView):
    permission_classes = [IsBuyer]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = DatasheetNegotiation

    @extend_schema(
        tags=["downloads"],
        summary="EU AI Act training-content summary of your licensed data",
        description="For one of your collections, a release, or (neither) all your grants: "
        "the content the AI Office's template for the public summary of training content "
        "(July 2025) asks of a model provider about this data: modalities and sizes, the "
        "public datasets used (releases, with their datasheets), licensed data (counts, "
        "rights holders' categories, terms versions), sources and domains by share, the "
        "acquisition period, and the measures applied (licenses verified, opt-outs and "
        "TDM reservations honoured, takedowns applied, classifier filtering). From the "
        "grants, the revocations feed and the audit log as they stood at the end of "
        "`as_of` (UTC): the same day gives the same bytes. Parts only the model provider "
        "knows say so.",
        parameters=[
            TrainingSummaryQuerySerializer,
            OpenApiParameter("format", str, enum=["json", "markdown"], default="json"),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/markdown"): OpenApiTypes.STR,
            400: docs.BAD_REQUEST,
            401: docs.UNAUTHENTICATED,
            403: docs.FORBIDDEN,
            404: docs.NOT_FOUND,
        },
    )
    def get(self, request):
        form = TrainingSummaryQuerySerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        scope = summary_scope(
            buyer=request.user,
            collection_id=data.get("collection"),
            release_id=data.get("release"),
        )
        as_of = data.get("as_of") or timezone.now().date()
        summary = training_summary(
            buyer=request.user, scope=scope, as_of=as_of, base_url=base_url(request)
        )
        if data["format"] == "json":
            return HttpResponse(
                training_summary_json(summary), content_type="application/json; charset=utf-8"
            )
        response = HttpResponse(
            training_summary_markdown(summary), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"training-summary-{as_of.isoformat()}.md"
        )
        return response
