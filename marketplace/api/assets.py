from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from catalog.selectors import AssetSearchParamsSerializer, published, search_page
from common.errors import NotFound
from common.links import absolute, absolute_page_url, base_url
from marketplace.api import docs
from marketplace.api.asset_serializers import (
    AssetDetailSerializer,
    AssetPageSerializer,
    AssetProvenanceSerializer,
    AssetSerializer,
)
from marketplace.policies import with_consent_headers
from marketplace.search_defaults import search_thresholds
from provenance.selectors import provenance_record, public_history

EXAMPLE_PAGE = {
    "next": "https://market.example.org/api/v1/assets/?q=harbor&cursor=eyJvIjoicmVsZXZhbmNlIn0",
    "previous": None,
    "results": [
        {
            "id": 1042, "source": "cleveland_museum", "source_record_id": "96887",
            "title": "Harbor at Dawn", "creator": "Jane Doe", "license": "cc0-1.0",
            "width": 3400, "height": 2267, "mime_type": "image/jpeg", "price_usd": "0.000000",
            "thumbnail_url": "https://market.example.org/thumbnails/1042.jpg",
        }
    ],
    "facets": {
        "method": "exact", "cached": False, "computed_at": "2026-11-21T12:00:00Z",
        "total": 212, "source": {"cleveland_museum": 180, "europeana": 32},
        "license": {"cc0-1.0": 212},
    },
    "applied_thresholds": {
        "max_nsfw": 0.2, "max_faces": None, "exclude_pii": True, "exclude_sensitive": None,
    },
    "thresholds_from_saved": ["exclude_pii"],
}  # fmt: skip


EXAMPLE_DETAIL = {
    **EXAMPLE_PAGE["results"][0],
    "license_detail": {
        "code": "cc0-1.0", "name": "CC0 1.0 Universal",
        "url": "https://creativecommons.org/publicdomain/zero/1.0/",
    },
    "download": {
        "available": True, "price_usd": "0.000000", "platform_fee_usd": "0.000000",
        "total_usd": "0.000000", "counts_against_quota": True,
    },
    "provenance": {
        "institution": "Cleveland Museum of Art",
        "record_url": "https://clevelandart.org/art/1915.534",
        "decision": "accepted", "retrieved_at": "2026-11-01T10:00:00Z",
        "cloned_at": "2026-11-01T10:05:00Z", "sha256": "ab12...",
        "evidence": {"share_license_status": "CC0", "copyright": None},
    },
}  # fmt: skip


def search_params(query_params) -> dict:
    serializer = AssetSearchParamsSerializer(data=query_params)
    unknown = sorted(set(query_params) - set(serializer.fields))
    if unknown:
        raise serializers.ValidationError(
            {name: ["Unknown parameter; see /api/docs/ for the search parameters."]
             for name in unknown}
        )  # fmt: skip
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _context(request) -> dict:
    base = base_url(request)
    return {"thumbnail_url": lambda pk: absolute(reverse("web:thumbnail", args=[pk]), base=base)}


def _published_asset(pk: int):
    # One answer for every asset a reader may not see, so a 404 never tells a taken-down or
    # embargoed asset from one that never existed.
    asset = published().filter(pk=pk).first()
    if asset is None:
        raise NotFound("No published asset has this id.")
    return asset


@extend_schema(tags=["catalog"])
class AssetViewSet(viewsets.GenericViewSet):
    permission_classes = [AllowAny]
    lookup_value_converter = "id"  # common.fields.IdConverter
    pagination_class = None  # keyset pages of its own (catalog.search.asset_page)
    queryset = published()

    @extend_schema(
        summary="Search and browse published assets",
        description="Full-text search, filters (license, source, creator, dates, size, "
        "aspect, type, price, classifier thresholds), keyset pages of up to 500 that stay "
        "stable while assets are added, and optional facet counts. A signed-in buyer's saved "
        "default thresholds (/api/v1/me/thresholds/) apply wherever the search gives none; "
        "`applied_thresholds` says which applied.",
        parameters=[AssetSearchParamsSerializer],
        responses={200: AssetPageSerializer, 400: docs.BAD_REQUEST, 429: docs.THROTTLED},
        examples=[OpenApiExample("A page", value=EXAMPLE_PAGE, response_only=True)],
    )
    def list(self, request):
        thresholds = search_thresholds(
            user=request.user, params=search_params(request.query_params)
        )
        params = thresholds.params
        page_size = params.get("page_size") or settings.REST_FRAMEWORK["PAGE_SIZE"]
        page = search_page(params, page_size=page_size)
        body = {
            "next": replace_query_param(absolute_page_url(request), "cursor", page.next_cursor)
            if page.next_cursor
            else None,
            "previous": None,  # keyset pages go forward only (see AssetPageSerializer)
            "results": AssetSerializer(page.rows, many=True, context=_context(request)).data,
        }
        if page.facets is not None:
            body["facets"] = page.facets
        body["applied_thresholds"] = thresholds.applied
        body["thresholds_from_saved"] = thresholds.from_saved
        return Response(body)

    @extend_schema(
        summary="One published asset",
        description="With its license, provenance summary and what a download costs. "
        "Anything not published (embargoed, rejected, taken down, withdrawn) is a 404.",
        responses={200: AssetDetailSerializer, 404: docs.NOT_FOUND},
        parameters=docs.tdm_headers(200),
        examples=[OpenApiExample("A base-set image", value=EXAMPLE_DETAIL, response_only=True)],
    )
    def retrieve(self, request, pk=None):
        asset = _published_asset(pk)
        response = Response(AssetDetailSerializer(asset, context=_context(request)).data)
        return with_consent_headers(response, [(asset.pk, asset.license)])

    @extend_schema(
        summary="A published asset's provenance and public history",
        description="Where it came from and why it is allowed (the source's license fields "
        "verbatim), and what was decided about it, each entry with its audit-log seal. "
        "Who downloaded it is not public.",
        responses={200: AssetProvenanceSerializer, 404: docs.NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def provenance(self, request, pk=None):
        asset = _published_asset(pk)
        body = {
            "asset_id": asset.pk,
            "license": asset.license,
            "source": asset.source,
            "record": provenance_record(asset.pk),
            "history": public_history(asset.pk),
        }
        return Response(AssetProvenanceSerializer(body).data)
