from django.urls import path

from billing import views

urlpatterns = [
    path("billing/stripe/webhook/", views.StripeWebhookView.as_view(), name="stripe-webhook"),
]
