"""Buyers' collections: create, rename, delete, add and remove assets in bulk."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import AssetStatus
from common.fields import IdListField
from common.json_types import JsonTypedSerializer
from marketplace import collections as services
from marketplace.api import docs
from marketplace.api.permissions import IsBuyer
from marketplace.models import Collection, CollectionItem


class CollectionSerializer(JsonTypedSerializer, serializers.ModelSerializer):
    item_count = serializers.IntegerField(source="items.count", read_only=True)

    class Meta:
        model = Collection
        fields = ["id", "name", "private", "item_count", "created_at", "updated_at"]
        read_only_fields = ["id", "item_count", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}


class CollectionUpdateSerializer(JsonTypedSerializer):
    name = serializers.CharField(max_length=200, required=False)
    private = serializers.BooleanField(required=False)


class AssetIdsSerializer(JsonTypedSerializer):
    asset_ids = IdListField(min_length=1, max_length=10_000)


class ItemsChangedSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="How many assets were added or removed.")
    item_count = serializers.IntegerField()


class CollectionItemSerializer(serializers.ModelSerializer):
    removed = serializers.SerializerMethodField(
        help_text="True when the asset was taken down or withdrawn since it was added."
    )
    title = serializers.SerializerMethodField()

    class Meta:
        model = CollectionItem
        fields = ["asset", "title", "removed", "added_at"]

    def get_removed(self, item) -> bool:
        return item.asset.status != AssetStatus.PUBLISHED

    def get_title(self, item) -> str:
        return "" if self.get_removed(item) else item.asset.title


@extend_schema(tags=["collections"])
class CollectionListView(ListAPIView):
    permission_classes = [IsBuyer]
    serializer_class = CollectionSerializer

    def get_queryset(self):
        return Collection.objects.filter(owner=self.request.user).order_by("name", "id")

    @extend_schema(
        summary="Your collections",
        responses={200: CollectionSerializer(many=True), 403: docs.FORBIDDEN},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a collection",
        request=CollectionSerializer,
        responses={
            201: CollectionSerializer,
            400: docs.BAD_REQUEST,
            403: docs.error("Not a buyer, or a private collection without the Curation plan."),
            409: docs.error("A collection of yours has this name."),
        },
    )
    def post(self, request):
        form = CollectionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        collection = services.collection_create(owner=request.user, **form.validated_data)
        return Response(CollectionSerializer(collection).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["collections"])
class CollectionDetailView(APIView):
    def get_permissions(self):
        # A public collection can be read by anyone; a private one by its owner only.
        return [AllowAny()] if self.request.method == "GET" else [IsBuyer()]

    @extend_schema(
        summary="A collection: yours, or another buyer's shared one",
        responses={200: CollectionSerializer, 404: docs.NOT_FOUND},
    )
    def get(self, request, pk: int):
        collection = services.collection_visible(viewer=request.user, collection_id=pk)
        return Response(CollectionSerializer(collection).data)

    @extend_schema(
        summary="Rename a collection or make it private",
        request=CollectionUpdateSerializer,
        responses={200: CollectionSerializer, 400: docs.BAD_REQUEST, 403: docs.FORBIDDEN,
                   404: docs.NOT_FOUND, 409: docs.error("The name is taken.")},
    )  # fmt: skip
    def patch(self, request, pk: int):
        form = CollectionUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        collection = services.collection_update(
            owner=request.user, collection_id=pk, **form.validated_data
        )
        return Response(CollectionSerializer(collection).data)

    @extend_schema(
        summary="Delete a collection (the assets and grants stay)",
        responses={204: None, 403: docs.FORBIDDEN, 404: docs.NOT_FOUND},
    )
    def delete(self, request, pk: int):
        services.collection_delete(owner=request.user, collection_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["collections"])
class CollectionItemsView(ListAPIView):
    serializer_class = CollectionItemSerializer

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsBuyer()]

    def get_queryset(self):
        collection = services.collection_visible(
            viewer=self.request.user, collection_id=self.kwargs["pk"]
        )
        return collection.items.select_related("asset").order_by("added_at", "pk")

    @extend_schema(
        summary="The assets in a collection; taken-down ones show as removed",
        responses={200: CollectionItemSerializer(many=True), 404: docs.NOT_FOUND},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def _changed(self, request, pk: int, service) -> Response:
        form = AssetIdsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        changed = service(owner=request.user, collection_id=pk, **form.validated_data)
        count = CollectionItem.objects.filter(collection_id=pk).count()
        return Response({"changed": changed, "item_count": count})

    @extend_schema(
        summary="Add published assets (many at once)",
        request=AssetIdsSerializer,
        responses={200: ItemsChangedSerializer, 400: docs.BAD_REQUEST, 403: docs.FORBIDDEN,
                   404: docs.NOT_FOUND},
    )  # fmt: skip
    def post(self, request, pk: int):
        return self._changed(request, pk, services.items_add)

    @extend_schema(
        summary="Remove assets (many at once)",
        request=AssetIdsSerializer,
        responses={200: ItemsChangedSerializer, 400: docs.BAD_REQUEST, 403: docs.FORBIDDEN,
                   404: docs.NOT_FOUND},
    )  # fmt: skip
    def delete(self, request, pk: int):
        return self._changed(request, pk, services.items_remove)
