"""WebDataset shard exports of granted assets."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotFound
from common.fields import IdField, IdListField
from common.json_types import JsonTypedSerializer
from common.links import absolute
from marketplace.api import docs
from marketplace.api.permissions import IsBuyer
from marketplace.models import ShardExport, TokenScope
from marketplace.shards import shard_export_request, shard_exports_of, shard_links


class ShardExportRequestSerializer(JsonTypedSerializer):
    collection = IdField(required=False, help_text="Your collection: its granted assets.")
    grant_ids = IdListField(
        required=False, max_length=100_000,
        help_text="These grants of yours. With neither, all your grants.",
    )  # fmt: skip

    def validate(self, attrs):
        if attrs.get("collection") and attrs.get("grant_ids"):
            raise serializers.ValidationError(
                {"collection": ["Name a collection or grants, not both."]}
            )
        return attrs


class ShardSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="File name, e.g. `shard-000000.tar`.")
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField(help_text="SHA-256 of the whole tar file.")
    samples = serializers.IntegerField(help_text="Assets in it (an image and a JSON each).")
    url = serializers.CharField(
        allow_null=True,
        help_text="Short-lived link; null when an asset in it was taken down since (ask for "
        "a new export, which leaves it out).",
    )
    removed = serializers.ListField(
        child=serializers.IntegerField(), help_text="Assets in it taken down since."
    )


class ShardExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=ShardExport.State.choices)
    collection = serializers.IntegerField(source="collection_id", allow_null=True)
    assets = serializers.IntegerField(help_text="Assets written into the shards.")
    skipped = serializers.IntegerField(help_text="Not licensed to you, or taken down.")
    max_shard_bytes = serializers.IntegerField(help_text="Size limit of one shard.")
    error = serializers.CharField(help_text="Why it failed.")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    index_url = serializers.CharField(
        allow_null=True, help_text="The index (every shard's name, size, SHA-256, samples)."
    )
    shards = ShardSerializer(many=True, help_text="Once built; links are short-lived.")


def export_body(export: ShardExport, request) -> dict:
    shards, index = shard_links(export)
    return {
        "id": export.pk,
        "state": export.state,
        "collection": export.collection_id,
        "assets": export.assets,
        "skipped": export.skipped,
        "max_shard_bytes": export.max_shard_bytes,
        "error": export.error,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
        "index_url": absolute(index.url, request=request) if index else None,
        "shards": [
            {
                "name": s.name,
                "size": s.size,
                "sha256": s.sha256,
                "samples": s.samples,
                "url": absolute(s.link.url, request=request) if s.link else None,
                "removed": s.removed,
            }
            for s in shards
        ],
    }


@extend_schema(tags=["downloads"])
class ShardExportListView(ListAPIView):
    permission_classes = [IsBuyer]
    serializer_class = ShardExportRequestSerializer  # what OPTIONS describes for POST
    # Shards hold assets already licensed: what a `download` token may fetch.
    token_scopes = {"POST": TokenScope.DOWNLOAD}

    def get_queryset(self):
        return shard_exports_of(self.request.user).select_related(None)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([export_body(e, request) for e in page])

    @extend_schema(
        summary="Your WebDataset shard exports, newest first",
        responses={200: ShardExportSerializer(many=True), 401: docs.UNAUTHENTICATED,
                   403: docs.FORBIDDEN},
    )  # fmt: skip
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Export granted assets as WebDataset shards",
        description=(
            "Tar shards (per asset `asset-<id>.<ext>` and `asset-<id>.json`) up to "
            "SHARD_MAX_BYTES each, with an index, built in the background: poll the export "
            "until `state` is `done`. Only assets you hold a grant for and that are not taken "
            "down; nothing is charged or counted against the quota."
        ),
        request=ShardExportRequestSerializer,
        responses={202: ShardExportSerializer, 400: docs.BAD_REQUEST,
                   401: docs.UNAUTHENTICATED, 403: docs.FORBIDDEN, 404: docs.NOT_FOUND},
    )  # fmt: skip
    def post(self, request):
        form = ShardExportRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        export = shard_export_request(
            buyer=request.user,
            collection_id=data.get("collection"),
            grant_ids=data.get("grant_ids"),
        )
        export.refresh_from_db()
        return Response(export_body(export, request), status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["downloads"])
class ShardExportDetailView(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(
        summary="A shard export's state, and its shards' links once built",
        responses={200: ShardExportSerializer, 401: docs.UNAUTHENTICATED,
                   403: docs.FORBIDDEN, 404: docs.NOT_FOUND},
    )  # fmt: skip
    def get(self, request, pk: int):
        export = shard_exports_of(request.user).filter(pk=pk).first()
        if export is None:
            raise NotFound("No shard export of yours has this id.")
        return Response(export_body(export, request))
