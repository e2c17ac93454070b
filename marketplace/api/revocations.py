"""A buyer's revocations feed: assets they licensed later taken down, withdrawn (their
grant still holds) or whose base-set license was rejected, and takedowns undone
(restored). Cursor pages, oldest first."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from common.links import absolute_page_url
from marketplace.api import docs
from marketplace.api.pagination import requested_page_size
from marketplace.api.permissions import IsBuyer
from marketplace.models import RevocationKind
from marketplace.revocations import revocation_item, revocations_page


class RevocationSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The feed entry's id (also the cursor's order).")
    asset_id = serializers.IntegerField(help_text="The asset you licensed.")
    grant_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="Your grants on it."
    )
    kind = serializers.ChoiceField(choices=RevocationKind.choices, help_text="What happened.")
    reason_class = serializers.CharField(
        allow_null=True,
        help_text="Why, as a class: `rights`, `privacy`, `nudity`, `objectionable`, `legal`, "
        "`other`; null for a withdrawal or a restore. Never who asked.",
    )
    still_valid = serializers.BooleanField(
        help_text="True for a withdrawn work or a restored asset: your grant holds and you "
        "may keep the file (or download it again)."
    )
    occurred_at = serializers.DateTimeField()


class RevocationPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page; null on the last.")
    previous = serializers.URLField(allow_null=True, help_text="Always null: forward only.")
    results = RevocationSerializer(many=True)


class RevocationQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False, help_text="Only entries that occurred at or after this time (ISO 8601)."
    )
    cursor = serializers.CharField(required=False, help_text="From a `next` link.")
    page_size = serializers.IntegerField(required=False, min_value=1)


EXAMPLE = {
    "next": None,
    "previous": None,
    "results": [
        {
            "id": 41,
            "asset_id": 1207,
            "grant_ids": [88],
            "kind": "taken_down",
            "reason_class": "privacy",
            "still_valid": False,
            "occurred_at": "2026-12-01T09:30:12.512000Z",
        }
    ],
}


class RevocationFeedView(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(
        tags=["downloads"],
        summary="Your revocations feed",
        description="Every asset you licensed that was later taken down (`taken_down`, with "
        "the reason's class), whose base-set license a moderator rejected "
        "(`license_rejected`), or that its rights holder withdrew (`withdrawn`: your grant "
        "still holds, `still_valid` is true). A moderator who undoes a takedown adds "
        "`restored` (`still_valid` true): your grant holds again and the file can be "
        "downloaded again. An asset's latest entry says where it stands (a takedown after a "
        "restore is a new `taken_down` entry). Oldest first, in cursor pages: follow `next`; "
        "keep the last `id` you applied, or the last `next` link, to resume. Entries commit "
        "in id order, so paging never skips one written meanwhile. A token with scope "
        "`read` suffices. Register a webhook endpoint to have them pushed.",
        parameters=[
            OpenApiParameter(
                "since", str, description="ISO 8601 date-time: entries at or after it."
            ),
            OpenApiParameter("cursor", str, description="From a `next` link."),
            OpenApiParameter("page_size", int, description="Up to API_MAX_PAGE_SIZE (500)."),
        ],
        responses={
            200: RevocationPageSerializer,
            400: docs.BAD_REQUEST,
            401: docs.UNAUTHENTICATED,
            403: docs.FORBIDDEN,
        },
        examples=[OpenApiExample("A page", value=EXAMPLE, response_only=True)],
    )
    def get(self, request):
        query = RevocationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page_size = requested_page_size(request, default=settings.REST_FRAMEWORK["PAGE_SIZE"])
        page = revocations_page(
            buyer=request.user,
            since=query.validated_data.get("since"),
            cursor=query.validated_data.get("cursor"),
            page_size=page_size,
        )
        return Response(
            {
                "next": replace_query_param(absolute_page_url(request), "cursor",
                                            page.next_cursor) if page.next_cursor else None,
                "previous": None,
                "results": [revocation_item(entry) for entry in page.entries],
            }
        )  # fmt: skip
