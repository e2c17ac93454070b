"""Manifest exports for training pipelines."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotFound
from common.fields import IdField, IdListField
from common.json_types import JsonTypedSerializer
from common.links import absolute, base_url
from marketplace.api import docs
from marketplace.api.permissions import IsBuyer
from marketplace.manifests import manifest_link, manifest_renew, manifest_request
from marketplace.models import ManifestExport, TokenScope


class ManifestRequestSerializer(JsonTypedSerializer):
    format = serializers.ChoiceField(choices=ManifestExport.Format.choices, default="jsonl")
    collection = IdField(required=False, help_text="Your collection: its granted assets.")
    grant_ids = IdListField(
        required=False, max_length=100_000,
        help_text="These grants of yours. With neither, all your grants.",
    )  # fmt: skip
    link_seconds = serializers.IntegerField(
        required=False, help_text="How long the links in the file stay valid (default a day)."
    )

    def validate(self, attrs):
        if attrs.get("collection") and attrs.get("grant_ids"):
            raise serializers.ValidationError(
                {"collection": ["Name a collection or grants, not both."]}
            )
        return attrs


class ManifestSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="The file, once ready (short-lived); null once `expired`."
    )

    class Meta:
        model = ManifestExport
        fields = ["id", "format", "state", "collection", "rows", "skipped", "link_seconds",
                  "links_expire_at", "renewed_at", "error", "created_at", "finished_at",
                  "expired_at", "url"]  # fmt: skip

    def get_url(self, manifest) -> str | None:
        link = manifest_link(manifest)
        return absolute(link.url, request=self.context["request"]) if link else None


@extend_schema(tags=["downloads"])
class ManifestListView(APIView):
    permission_classes = [IsBuyer]
    # A manifest links assets already licensed: what a `download` token may fetch.
    token_scopes = {"POST": TokenScope.DOWNLOAD}

    @extend_schema(
        summary="Export a manifest (JSON Lines or Parquet) of granted assets",
        description="Built in the background: poll the manifest until `state` is `done`.",
        request=ManifestRequestSerializer,
        responses={202: ManifestSerializer, 400: docs.BAD_REQUEST, 403: docs.FORBIDDEN,
                   404: docs.NOT_FOUND},
    )  # fmt: skip
    def post(self, request):
        form = ManifestRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        manifest = manifest_request(
            buyer=request.user,
            format=data["format"],
            collection_id=data.get("collection"),
            grant_ids=data.get("grant_ids"),
            link_seconds=data.get("link_seconds"),
            base_url=base_url(request),
        )
        manifest.refresh_from_db()
        body = ManifestSerializer(manifest, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["downloads"])
class ManifestDetailView(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(
        summary="A manifest's state, and its file once ready",
        description=(
            "A manifest's file is kept MANIFEST_EXPORT_DAYS days after it was asked for; then "
            "it is deleted, `state` is `expired` and `url` null: ask for a new manifest."
        ),
        responses={200: ManifestSerializer, 403: docs.FORBIDDEN, 404: docs.NOT_FOUND},
    )
    def get(self, request, pk: int):
        manifest = ManifestExport.objects.filter(pk=pk, buyer=request.user).first()
        if manifest is None:
            raise NotFound("No manifest of yours has this id.")
        return Response(ManifestSerializer(manifest, context={"request": request}).data)


class ManifestRenewSerializer(serializers.Serializer):
    link_seconds = serializers.IntegerField(
        required=False,
        help_text="How long the renewed links stay valid, from now (default: as before).",
    )


@extend_schema(tags=["downloads"])
class ManifestRenewView(APIView):
    permission_classes = [IsBuyer]
    token_scopes = {"POST": TokenScope.DOWNLOAD}

    @extend_schema(
        summary="Sign a manifest's links again",
        description=(
            "Every row keeps its content but its `url`, signed again to stay valid "
            "`link_seconds` from now; rows of assets taken down since are dropped (counted in "
            "`skipped`). Fetch the file again through the manifest's `url`."
        ),
        request=ManifestRenewSerializer,
        responses={200: ManifestSerializer, 400: docs.BAD_REQUEST, 401: docs.UNAUTHENTICATED,
                   403: docs.FORBIDDEN, 404: docs.NOT_FOUND,
                   409: docs.error("`not_ready`: the manifest is not built yet; `expired`: "
                                   "its file was deleted, ask for a new manifest.")},
    )  # fmt: skip
    def post(self, request, pk: int):
        form = ManifestRenewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        manifest = manifest_renew(
            buyer=request.user, manifest_id=pk, link_seconds=form.validated_data.get("link_seconds")
        )
        return Response(ManifestSerializer(manifest, context={"request": request}).data)
