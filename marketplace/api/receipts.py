"""License receipts: one of yours again, and the platform's public keys to verify them."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api import docs
from marketplace.api.downloads import ReceiptSerializer
from marketplace.api.permissions import IsBuyer
from marketplace.receipts import receipt_body, receipt_keys_published, receipt_of


class ReceiptKeySerializer(serializers.Serializer):
    key_id = serializers.CharField()
    algorithm = serializers.CharField(help_text="Always `Ed25519`.")
    public_key = serializers.CharField(help_text="The raw 32-byte public key, base64.")
    valid_from = serializers.DateTimeField(help_text="Receipts issued from this time.")
    valid_until = serializers.DateTimeField(
        allow_null=True, help_text="Rotated out then; null for the current key."
    )


class ReceiptKeysSerializer(serializers.Serializer):
    keys = ReceiptKeySerializer(many=True)


class ReceiptDetailView(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(
        tags=["downloads"],
        summary="One of your license receipts",
        description="The same signed object `POST /api/v1/downloads/` returned. Verify it "
        "offline: `python manage.py verify_receipt receipt.json` or the client's command.",
        responses={200: ReceiptSerializer, 401: docs.UNAUTHENTICATED, 403: docs.FORBIDDEN,
                   404: docs.NOT_FOUND},
    )  # fmt: skip
    def get(self, request, receipt_id: str):
        return Response(receipt_body(receipt_of(buyer=request.user, receipt_id=receipt_id)))


class ReceiptKeysView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        tags=["downloads"],
        summary="The public keys that sign license receipts",
        description="Every key with its validity period, the current one with "
        "`valid_until` null. A receipt verifies with the key named by its `key_id` if it "
        "was issued within that key's period.",
        responses={200: ReceiptKeysSerializer, 429: docs.THROTTLED},
    )
    def get(self, request):
        response = Response(receipt_keys_published())
        response["Cache-Control"] = "public, max-age=300"
        return response
