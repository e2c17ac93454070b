from django.urls import path

from billing import views

urlpatterns = [
    path("billing/stripe/webhook/", views.StripeWebhookView.as_view(), name="stripe-webhook"),
    path(
        "billing/sandbox/checkout/<str:session_id>/",
        views.SandboxCheckoutView.as_view(),
        name="billing-sandbox-checkout",
    ),
    path(
        "billing/sandbox/portal/", views.SandboxPortalView.as_view(), name="billing-sandbox-portal"
    ),
    path(
        "billing/sandbox/connect/<str:account_id>/",
        views.SandboxConnectView.as_view(),
        name="billing-sandbox-connect",
    ),
]
