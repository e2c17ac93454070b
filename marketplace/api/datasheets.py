"""Dataset releases and datasheets: the built releases, each with its file, and the datasheet
(JSON or Markdown) of a release or of a buyer's collection.

Releases list only published assets and say nothing about buyers, so anyone may read them,
signed in or not, as anyone may search the catalog. A collection's datasheet is visible to
whoever may see the collection (`marketplace.collections.collection_visible`): a private
collection's is a 404 to anyone but its owner."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.selectors import RELEASE_COLUMNS as COLUMNS
from catalog.selectors import RELEASE_FILE_FORMAT as FILE_FORMAT
from catalog.selectors import RELEASE_MIME_TYPE as MIME_TYPE
from catalog.selectors import release_datasheet, released, released_get
from common.links import absolute, base_url
from marketplace.api import docs
from marketplace.collections import collection_datasheet, collection_visible
from marketplace.delivery import signed_link
from provenance.models import DatasetRelease
from provenance.selectors import Datasheet, datasheet_json, datasheet_markdown

EXAMPLE_FILTERS = {"license": ["cc0-1.0"], "max_nsfw": 0.2, "source": ["cleveland_museum"]}
EXAMPLE_COUNTS = {
    "total": 212, "by_source": {"cleveland_museum": 212}, "by_license": {"cc0-1.0": 212},
    "institutions": {"cleveland_museum": ["Cleveland Museum of Art"]},
}  # fmt: skip
EXAMPLE_RELEASE = {
    "id": 3, "name": "base-set-cc0", "version": "2026.11",
    "description": "CC0 paintings from Cleveland, low nudity score.",
    "filters": EXAMPLE_FILTERS, "total": 212, "built_at": "2026-11-21T12:00:00Z",
    "datasheet_url": "https://market.example.org/api/v1/releases/3/datasheet/",
}  # fmt: skip
EXAMPLE_RELEASE_DETAIL = {
    **EXAMPLE_RELEASE,
    "counts": EXAMPLE_COUNTS,
    "created_at": "2026-11-21T11:58:00Z",
    "file": {
        "url": "https://media.example.org/releases/3/base-set-cc0-2026-11.parquet?X-Amz-...",
        "expires_at": "2026-11-21T12:05:00Z", "format": FILE_FORMAT, "columns": list(COLUMNS),
        "sha256": "5f2b...c0de",
    },
}  # fmt: skip
EXAMPLE_DATASHEET = {
    "kind": "release", "title": "Datasheet: base-set-cc0 2026.11", "name": "base-set-cc0",
    "version": "2026.11", "collection_id": None,
    "description": "CC0 paintings from Cleveland, low nudity score.",
    "created_at": "2026-11-21T11:58:00+00:00", "built_at": "2026-11-21T12:00:00+00:00",
    "updated_at": None, "generated_at": "2026-11-22T09:00:00+00:00",
    "counts": {
        "total": 212, "by_status": None,
        "by_source": [{"source": "cleveland_museum", "count": 212,
                       "institutions": ["Cleveland Museum of Art"]}],
        "by_license": [{"code": "cc0-1.0", "name": "CC0 1.0 Universal",
                        "url": "https://creativecommons.org/publicdomain/zero/1.0/",
                        "count": 212}],
    },
    "selection": {
        "method": "search filters", "filters": EXAMPLE_FILTERS,
        "classifier_thresholds": [{"filter": "max_nsfw", "value": 0.2,
                                   "meaning": "Only assets whose nudity score is at most this "
                                              "(0 to 1). Assets not yet scored are left out."}],
    },
    "license_verification": {
        "sources": [{"source": "cleveland_museum",
                     "how": "Cleveland Museum of Art Open Access: `share_license_status` "
                            "exactly `CC0` and no `copyright` line."}],
        "opt_outs": "For every source: an item on the opt-out registry ... is never published.",
    },
    "file": {"format": FILE_FORMAT, "columns": list(COLUMNS), "sha256": "5f2b...c0de"},
    "provenance": {
        "note": "Every license decision, publication, takedown and download is recorded in an "
                "append-only audit log ...",
        "verify_command": "python manage.py verify_audit_log",
        "audit_log_sealed_entries": 48210, "audit_log_head_hash": "9c1e...77ab",
    },
}  # fmt: skip

EXAMPLE_COLLECTION_DATASHEET = {
    **EXAMPLE_DATASHEET,
    "kind": "collection", "title": "Datasheet: collection harbors", "name": "harbors",
    "version": None, "collection_id": 12, "description": "", "built_at": None,
    "updated_at": "2026-11-20T16:30:00+00:00",
    "counts": {
        "total": 38, "by_status": {"available": 38, "removed": 2},
        "by_source": [{"source": "cleveland_museum", "count": 38,
                       "institutions": ["Cleveland Museum of Art"]}],
        "by_license": [{"code": "cc0-1.0", "name": "CC0 1.0 Universal",
                        "url": "https://creativecommons.org/publicdomain/zero/1.0/",
                        "count": 38}],
    },
    "selection": {"method": "hand-picked by the owner", "filters": None,
                  "classifier_thresholds": []},
    "file": None,
}  # fmt: skip


class ReleaseSerializer(serializers.ModelSerializer):
    total = serializers.SerializerMethodField(help_text="How many assets it lists.")
    datasheet_url = serializers.SerializerMethodField(help_text="Its datasheet (JSON; ?format=md).")

    class Meta:
        model = DatasetRelease
        fields = ["id", "name", "version", "description", "filters", "total", "built_at",
                  "datasheet_url"]  # fmt: skip

    def get_total(self, release: DatasetRelease) -> int:
        return release.counts.get("total", 0)

    def get_datasheet_url(self, release: DatasetRelease) -> str:
        path = reverse("release-datasheet", args=[release.pk])
        return absolute(path, request=self.context["request"])


class ReleaseFileSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The file (short-lived link).")
    expires_at = serializers.DateTimeField(help_text="When the link stops working.")
    format = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    sha256 = serializers.CharField(help_text="SHA-256 of the file, to check a copy.")


class ReleaseDetailSerializer(ReleaseSerializer):
    file = serializers.SerializerMethodField(help_text="The release file, in the PD12M layout.")

    class Meta(ReleaseSerializer.Meta):
        fields = [*ReleaseSerializer.Meta.fields, "counts", "created_at", "file"]

    @extend_schema_field(ReleaseFileSerializer)
    def get_file(self, release: DatasetRelease) -> dict:
        link = signed_link(
            key=release.file_key,
            seconds=settings.DOWNLOAD_URL_SECONDS,
            filename=release.file_key.rsplit("/", 1)[-1],
            mime_type=MIME_TYPE,
        )
        return {
            "url": absolute(link.url, request=self.context["request"]),
            "expires_at": link.expires_at,
            "format": FILE_FORMAT,
            "columns": list(COLUMNS),
            "sha256": release.sha256,
        }


# The JSON datasheet's shape, for the API's documentation (a test keeps it in step).
class SourceCountSerializer(serializers.Serializer):
    source = serializers.CharField()
    count = serializers.IntegerField()
    institutions = serializers.ListField(
        child=serializers.CharField(), help_text="The most frequent institutions named."
    )


class LicenseCountSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField(allow_null=True, help_text="The license's text.")
    count = serializers.IntegerField()


class DatasheetCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Assets listed (collections: available ones).")
    by_status = serializers.DictField(
        child=serializers.IntegerField(), allow_null=True,
        help_text="Collections: `available`, and `removed` (taken down or withdrawn since "
        "added: counted, not listed). Null for releases.",
    )  # fmt: skip
    by_source = SourceCountSerializer(many=True)
    by_license = LicenseCountSerializer(many=True)


class ThresholdSerializer(serializers.Serializer):
    filter = serializers.CharField()
    value = serializers.JSONField()
    meaning = serializers.CharField()


class SelectionSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["search filters", "hand-picked by the owner"])
    filters = serializers.DictField(
        allow_null=True, help_text="The search filters applied; null for collections."
    )
    classifier_thresholds = ThresholdSerializer(many=True)


class LicenseCheckSerializer(serializers.Serializer):
    source = serializers.CharField()
    how = serializers.CharField(help_text="How this source's licenses were checked.")


class LicenseVerificationSerializer(serializers.Serializer):
    sources = LicenseCheckSerializer(many=True)
    opt_outs = serializers.CharField()


class DatasheetFileSerializer(serializers.Serializer):
    format = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    sha256 = serializers.CharField()


class ProvenanceNoteSerializer(serializers.Serializer):
    note = serializers.CharField()
    verify_command = serializers.CharField()
    audit_log_sealed_entries = serializers.IntegerField()
    audit_log_head_hash = serializers.CharField()


class DatasheetSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["release", "collection"])
    title = serializers.CharField()
    name = serializers.CharField()
    version = serializers.CharField(allow_null=True, help_text="Releases; null otherwise.")
    collection_id = serializers.IntegerField(allow_null=True, help_text="Collections.")
    description = serializers.CharField()
    created_at = serializers.DateTimeField()
    built_at = serializers.DateTimeField(allow_null=True, help_text="Releases.")
    updated_at = serializers.DateTimeField(allow_null=True, help_text="Collections.")
    generated_at = serializers.DateTimeField(help_text="When this datasheet was made.")
    counts = DatasheetCountsSerializer()
    selection = SelectionSerializer()
    license_verification = LicenseVerificationSerializer()
    file = DatasheetFileSerializer(allow_null=True, help_text="Releases: the file described.")
    provenance = ProvenanceNoteSerializer()


class DatasheetFormatSerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=["json", "md"], default="json", help_text="json (the default) or md (Markdown)."
    )


class DatasheetNegotiation(DefaultContentNegotiation):
    """Here `format` names the datasheet's format, which the view checks (an unknown one is
    a 400 naming it), not one of DRF's renderers (which would make it a 404)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


FORMAT_PARAMETER = OpenApiParameter(
    "format", str, enum=["json", "md"], default="json",
    description="json: the datasheet as JSON; md: as a Markdown file (an attachment).",
)  # fmt: skip
EXAMPLE_MARKDOWN = OpenApiExample(
    "Markdown", response_only=True, media_type="text/markdown",
    value="# Datasheet: base-set-cc0 2026.11\n\n| | |\n| --- | --- |\n"
    "| Release | base-set-cc0 |\n| Version | 2026.11 |\n...\n## Sources\n...",
)  # fmt: skip


def _datasheet_examples(name: str, value: dict) -> list[OpenApiExample]:
    return [
        OpenApiExample(name, value=value, response_only=True, media_type="application/json"),
        EXAMPLE_MARKDOWN,
    ]


class DatasheetView(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = DatasheetNegotiation

    def datasheet(self, request, pk: int) -> Datasheet:
        raise NotImplementedError

    def get(self, request, pk: int):
        form = DatasheetFormatSerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        sheet = self.datasheet(request, pk)
        if form.validated_data["format"] == "json":
            return Response(datasheet_json(sheet))
        response = HttpResponse(
            datasheet_markdown(sheet), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"{sheet.file_stem}.md"
        )
        return response


@extend_schema(tags=["releases"])
class ReleaseListView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ReleaseSerializer

    def get_queryset(self):
        return released()

    @extend_schema(
        summary="Dataset releases, newest first",
        description="Built releases only: named, versioned snapshots of the published catalog "
        "chosen by search filters. Readable without signing in.",
        responses={200: ReleaseSerializer(many=True), 400: docs.BAD_REQUEST,
                   429: docs.THROTTLED},
        examples=[OpenApiExample("A release", value=EXAMPLE_RELEASE, response_only=True)],
    )  # fmt: skip
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["releases"])
class ReleaseDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="A dataset release: its counts and its file",
        description="The file is Parquet in the PD12M layout (`id, url, caption, width, "
        "height, mime_type, hash, license, source`, plus `landing_url`); `url` is the asset "
        "on this API, where it can be licensed. The link to the file is short-lived.",
        responses={200: ReleaseDetailSerializer, 404: docs.NOT_FOUND},
        examples=[OpenApiExample("A release", value=EXAMPLE_RELEASE_DETAIL,
                                 response_only=True)],
    )  # fmt: skip
    def get(self, request, pk: int):
        release = released_get(pk)
        return Response(ReleaseDetailSerializer(release, context={"request": request}).data)


@extend_schema(tags=["releases"])
class ReleaseDatasheetView(DatasheetView):
    def datasheet(self, request, pk: int) -> Datasheet:
        return release_datasheet(released_get(pk), base_url=base_url(request))

    @extend_schema(
        summary="A release's datasheet, as JSON or Markdown",
        description="Sources (with institutions), licenses, counts, the filters applied, "
        "classifier thresholds, how licenses were verified and how to check provenance. "
        "`?format=md`: a Markdown file to download.",
        responses={(200, "application/json"): DatasheetSerializer,
                   (200, "text/markdown"): OpenApiTypes.STR,
                   400: docs.BAD_REQUEST, 404: docs.NOT_FOUND},
        parameters=[FORMAT_PARAMETER],
        examples=_datasheet_examples("A release", EXAMPLE_DATASHEET),
    )  # fmt: skip
    def get(self, request, pk: int):
        return super().get(request, pk)


@extend_schema(tags=["collections"])
class CollectionDatasheetView(DatasheetView):
    def datasheet(self, request, pk: int) -> Datasheet:
        collection = collection_visible(viewer=request.user, collection_id=pk)
        return collection_datasheet(collection, base_url=base_url(request))

    @extend_schema(
        summary="A collection's datasheet, as JSON or Markdown",
        description="As a release's, for a collection hand-picked by its owner; items taken "
        "down or withdrawn since they were added count as removed. Visible as the "
        "collection is: a private collection's is a 404 to anyone but its owner.",
        responses={(200, "application/json"): DatasheetSerializer,
                   (200, "text/markdown"): OpenApiTypes.STR,
                   400: docs.BAD_REQUEST, 404: docs.NOT_FOUND},
        parameters=[FORMAT_PARAMETER],
        examples=_datasheet_examples("A collection", EXAMPLE_COLLECTION_DATASHEET),
    )  # fmt: skip
    def get(self, request, pk: int):
        return super().get(request, pk)
