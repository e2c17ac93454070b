"""Stripe's webhook endpoint, and the sandbox gateway's pages for the demo."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import sandbox
from billing.webhooks import event_receive
from marketplace.api import docs

SANDBOX_NOTICE = "SANDBOX: a local stand-in for Stripe. No real money moves."


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


SandboxResult = inline_serializer(
    "SandboxResult", {"sandbox": serializers.CharField(), "completed": serializers.CharField()}
)


@extend_schema(tags=["billing sandbox"])
class SandboxCheckoutView(APIView):
    @extend_schema(
        summary="Describe a sandbox checkout page",
        responses={200: SandboxResult, 401: docs.UNAUTHENTICATED},
    )
    def get(self, request, session_id: str):
        return Response(
            {"sandbox": SANDBOX_NOTICE, "completed": "", "pay": "POST to this URL to pay."}
        )

    @extend_schema(
        summary="Pay a sandbox checkout (demo only)",
        request=None,
        responses={200: SandboxResult, 404: docs.NOT_FOUND, 503: docs.error("Stripe is on.")},
    )
    def post(self, request, session_id: str):
        completed = sandbox.checkout_complete(user=request.user, session_id=session_id)
        return Response({"sandbox": SANDBOX_NOTICE, "completed": completed})


@extend_schema(tags=["billing sandbox"])
class SandboxPortalView(APIView):
    @extend_schema(
        summary="Cancel the sandbox subscription (demo only)",
        request=None,
        responses={200: SandboxResult, 404: docs.NOT_FOUND, 503: docs.error("Stripe is on.")},
    )
    def post(self, request):
        sandbox.subscription_cancel(user=request.user)
        return Response({"sandbox": SANDBOX_NOTICE, "completed": "cancelled"})


@extend_schema(tags=["billing sandbox"])
class SandboxConnectView(APIView):
    @extend_schema(
        summary="Finish sandbox payout onboarding (demo only)",
        request=None,
        responses={200: SandboxResult, 404: docs.NOT_FOUND, 503: docs.error("Stripe is on.")},
    )
    def post(self, request, account_id: str):
        sandbox.connect_complete(user=request.user, account_id=account_id)
        return Response({"sandbox": SANDBOX_NOTICE, "completed": "payouts_enabled"})
