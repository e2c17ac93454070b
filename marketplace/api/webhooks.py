"""Buyers' webhook endpoints: register one (its signing secret is shown once), list them,
delete one. Deliveries and their log are in the admin."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from common.json_types import JsonTypedSerializer
from marketplace.api import docs
from marketplace.api.permissions import IsBuyer
from marketplace.models import WebhookEndpoint
from marketplace.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoints_of,
)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "active", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (`whsec_...`). Shown this once: store it now."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointRequestSerializer(JsonTypedSerializer):
    url = serializers.URLField(max_length=500, help_text="Where events are POSTed (https).")
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Your note."
    )


@extend_schema(tags=["webhooks"])
class WebhookEndpointListView(ListAPIView):
    permission_classes = [IsBuyer]
    serializer_class = WebhookEndpointSerializer

    def get_queryset(self):
        return webhook_endpoints_of(self.request.user)

    @extend_schema(
        summary="Your webhook endpoints",
        responses={200: WebhookEndpointSerializer(many=True), 401: docs.UNAUTHENTICATED,
                   403: docs.FORBIDDEN},
    )  # fmt: skip
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Register a webhook endpoint",
        description="Each revocation event of yours (see `/api/v1/revocations/`) is POSTed "
        "to it as JSON (`id`, `type`, `created`, `data`: the feed's item), signed in the "
        "`Marketplace-Signature` header: `t=<unix time>,v1=<hex HMAC-SHA256 of "
        '"<t>.<body>">` with the endpoint\'s secret. Answer 2xx; anything else is retried '
        "with exponential backoff for WEBHOOK_RETRY_DAYS days. Delivery is at least once: "
        "deduplicate on `id`. Needs a `manage` token.",
        request=WebhookEndpointRequestSerializer,
        responses={
            201: WebhookEndpointCreatedSerializer,
            400: docs.BAD_REQUEST,
            401: docs.UNAUTHENTICATED,
            403: docs.FORBIDDEN,
        },
    )
    def post(self, request):
        form = WebhookEndpointRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        created = webhook_endpoint_create(owner=request.user, **form.validated_data)
        body = {**WebhookEndpointSerializer(created.endpoint).data, "secret": created.secret}
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["webhooks"])
class WebhookEndpointDetailView(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(
        summary="Delete a webhook endpoint",
        description="Its pending deliveries are dropped. Needs a `manage` token.",
        responses={204: None, 401: docs.UNAUTHENTICATED, 403: docs.FORBIDDEN,
                   404: docs.NOT_FOUND},
    )  # fmt: skip
    def delete(self, request, pk: int):
        webhook_endpoint_delete(owner=request.user, endpoint_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
