"""A buyer's saved default thresholds for search: read, replace (PUT), change (PATCH)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.selectors import ThresholdsSerializer
from common.json_types import check_json_types
from marketplace import search_defaults as services
from marketplace.api import docs
from marketplace.api.permissions import IsBuyer

EXAMPLE = {"max_nsfw": 0.2, "max_faces": 0, "exclude_pii": True, "exclude_sensitive": None}
EXAMPLES = [
    OpenApiExample("Saved thresholds", value=EXAMPLE, response_only=True),
    OpenApiExample(
        "Strict on nudity and personal data",
        value={"max_nsfw": 0.2, "exclude_pii": True},
        request_only=True,
    ),
    OpenApiExample("Clear one", value={"max_faces": None}, request_only=True),
]
SAVE_RESPONSES = {
    200: ThresholdsSerializer,
    400: docs.BAD_REQUEST,
    401: docs.UNAUTHENTICATED,
    403: docs.FORBIDDEN,
}


@extend_schema(tags=["catalog"])
class SavedThresholdsView(APIView):
    """Asset search applies these wherever a search gives no threshold of its own."""

    permission_classes = [IsBuyer]

    @extend_schema(
        summary="Your saved default thresholds for search",
        description="Each classifier threshold that asset search applies when a search does "
        "not give its own; null where none is saved.",
        responses={200: ThresholdsSerializer, 401: docs.UNAUTHENTICATED, 403: docs.FORBIDDEN},
        examples=EXAMPLES,
    )
    def get(self, request):
        return Response(ThresholdsSerializer(services.saved_thresholds(request.user)).data)

    @extend_schema(
        summary="Replace your saved default thresholds",
        description="Saves exactly the thresholds given: those left out or null are cleared. "
        "The values and their ranges are the search parameters'.",
        request=ThresholdsSerializer,
        responses=SAVE_RESPONSES,
        examples=EXAMPLES,
    )
    def put(self, request):
        check_json_types(ThresholdsSerializer(), request.data)
        saved = services.saved_thresholds_set(buyer=request.user, thresholds=request.data)
        return Response(ThresholdsSerializer(saved).data)

    @extend_schema(
        summary="Change some of your saved default thresholds",
        description="Changes only the thresholds given; null clears one.",
        request=ThresholdsSerializer,
        responses=SAVE_RESPONSES,
        examples=EXAMPLES,
    )
    def patch(self, request):
        check_json_types(ThresholdsSerializer(), request.data)
        saved = services.saved_thresholds_set(
            buyer=request.user, thresholds=request.data, merge=True
        )
        return Response(ThresholdsSerializer(saved).data)
