"""Stripe's webhook endpoint, and the sandbox gateway's pages for the demo."""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views import View
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import sandbox
from billing.webhooks import event_receive
from common.errors import DomainError
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


class SandboxPageView(View):
    """A sandbox checkout, portal or onboarding page: a browser page in the demo that says
    what completing will do, with a button that does it (a CSRF-protected form) and then
    sends the person back where Stripe would. The link is the credential, as Stripe's are;
    with Stripe configured every link is refused."""

    route = ""  # the URL name this view answers (billing.sandbox_links.ROUTES)

    def get(self, request, token: str):
        try:
            page = sandbox.sandbox_page(route=self.route, token=token)
        except DomainError as error:
            return _refused(request, error)
        return render(request, "billing/sandbox.html", {"page": page})

    def post(self, request, token: str):
        try:
            page = sandbox.sandbox_page(route=self.route, token=token)
            sandbox.sandbox_page_complete(page)
        except DomainError as error:
            return _refused(request, error)
        done = HttpResponseRedirect(page.return_url)
        done.status_code = 303  # after a POST: the browser fetches the return URL with GET
        return done


def _refused(request, error: DomainError):
    return render(
        request, "billing/sandbox_refused.html", {"message": error.message},
        status=error.status_code,
    )  # fmt: skip
