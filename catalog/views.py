from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import AllowAny

from catalog.selectors import asset_list_published
from catalog.serializers import AssetSerializer
from marketplace.api import docs
from marketplace.api.pagination import CursorPagination


@extend_schema_view(
    list=extend_schema(
        summary="Browse published assets",
        description="Newest first, with keyset (cursor) pagination.",
        responses={200: AssetSerializer(many=True), 400: docs.BAD_REQUEST},
    ),
    retrieve=extend_schema(
        summary="One published asset",
        responses={200: AssetSerializer, 404: docs.NOT_FOUND},
    ),
)
@extend_schema(tags=["catalog"])
class AssetViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AssetSerializer
    permission_classes = [AllowAny]
    pagination_class = CursorPagination

    def get_queryset(self):
        return asset_list_published()
