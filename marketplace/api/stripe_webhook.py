"""Stripe's webhook endpoint: Stripe posts signed events here."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.services import event_receive
from marketplace.api import docs


class StripeWebhookView(APIView):
    """Stripe posts events here; only correctly signed ones are stored."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(
        tags=["billing"],
        summary="Stripe webhook (called by Stripe)",
        request=None,
        responses={
            200: inline_serializer(
                "WebhookReceived",
                {"received": serializers.BooleanField(), "duplicate": serializers.BooleanField()},
            ),
            400: docs.error("The signature does not verify or the body is not an event."),
        },
    )
    def post(self, request):
        _, created = event_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
        return Response({"received": True, "duplicate": not created})
