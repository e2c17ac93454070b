"""Probes for load balancers and orchestrators: unauthenticated, never throttled."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.serializers import LivenessSerializer, ReadinessSerializer
from marketplace.health import readiness


class ProbeView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []


@extend_schema(tags=["operations"])
class HealthzView(ProbeView):
    @extend_schema(
        summary="Liveness",
        description="The process is up and answering.",
        responses={200: LivenessSerializer},
    )
    def get(self, request):
        return Response({"status": "alive"})


@extend_schema(tags=["operations"])
class ReadyzView(ProbeView):
    @extend_schema(
        summary="Readiness",
        description="The database, the task broker and the media storage are reachable. "
        "503 names each failing part under `failing`.",
        responses={200: ReadinessSerializer, 503: ReadinessSerializer},
    )
    def get(self, request):
        results = readiness()
        failing = [r.name for r in results if not r.ok]
        body = {
            "status": "not_ready" if failing else "ready",
            "failing": failing,
            "checks": {r.name: {"ok": r.ok, "detail": r.detail} for r in results},
        }
        return Response(body, status=503 if failing else 200)
