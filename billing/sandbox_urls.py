"""The sandbox gateway's pages (the demo's stand-in for Stripe's): browser pages, not API."""

from django.urls import path

from billing.views import SandboxPageView

urlpatterns = [
    path(
        f"{kind}/<str:token>/",
        SandboxPageView.as_view(route=f"billing-sandbox-{kind}"),
        name=f"billing-sandbox-{kind}",
    )
    for kind in ("checkout", "portal", "connect")
]
