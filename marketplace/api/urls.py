from django.urls import include, path
from rest_framework.routers import SimpleRouter

from marketplace.api import (
    accounts,
    assets,
    billing,
    collections,
    datasheets,
    downloads,
    manifests,
    notifications,
    receipts,
    revocations,
    rights_holders,
    stripe_webhook,
    thresholds,
    training_summary,
    webhooks,
)
from marketplace.api.flags import FlagCreateView

# `<id:pk>`: before any route of the API (the included ones too) is read.

urlpatterns = [
    path("auth/register/", accounts.RegisterView.as_view(), name="register"),
    path("auth/token/", accounts.TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/rotate/", accounts.TokenRotateView.as_view(), name="token-rotate"),
    path("auth/tokens/", accounts.TokenListView.as_view(), name="tokens"),
    path("auth/tokens/<id:pk>/", accounts.TokenDetailView.as_view(), name="token-detail"),
    path("me/", accounts.MeView.as_view(), name="me"),
    path("me/thresholds/", thresholds.SavedThresholdsView.as_view(), name="me-thresholds"),
    path("notifications/", notifications.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/<id:pk>/read/",
        notifications.NotificationReadView.as_view(),
        name="notification-read",
    ),
    path("billing/wallet/", billing.WalletView.as_view(), name="billing-wallet"),
    path("billing/top-ups/", billing.TopUpListCreateView.as_view(), name="billing-top-ups"),
    path(
        "billing/subscription/checkout/",
        billing.SubscriptionCheckoutView.as_view(),
        name="billing-subscription-checkout",
    ),
    path(
        "billing/subscription/portal/",
        billing.SubscriptionPortalView.as_view(),
        name="billing-subscription-portal",
    ),
    path("billing/payouts/", billing.PayoutStatusView.as_view(), name="billing-payouts"),
    path(
        "billing/payouts/onboarding/",
        billing.PayoutOnboardingView.as_view(),
        name="billing-payouts-onboarding",
    ),
    path("billing/statement/", billing.WalletStatementView.as_view(), name="billing-statement"),
    path("billing/earnings/", billing.EarningsStatementView.as_view(), name="billing-earnings"),
    path("profile/", rights_holders.ProfileView.as_view(), name="profile"),
    path("usage/", rights_holders.UsageView.as_view(), name="usage"),
    path("usage/export/", rights_holders.UsageExportView.as_view(), name="usage-export"),
    path("usage/history/", rights_holders.UsageHistoryView.as_view(), name="usage-history"),
    path("downloads/", downloads.DownloadsView.as_view(), name="downloads"),
    path("files/<str:token>/", downloads.FileView.as_view(), name="download-file"),
    path("quota/", downloads.QuotaView.as_view(), name="quota"),
    path("revocations/", revocations.RevocationFeedView.as_view(), name="revocations"),
    path("receipts/<str:receipt_id>/", receipts.ReceiptDetailView.as_view(), name="receipt-detail"),
    path(
        "training-summary/",
        training_summary.TrainingSummaryView.as_view(),
        name="training-summary",
    ),
    path("webhook-endpoints/", webhooks.WebhookEndpointListView.as_view(), name="webhooks"),
    path(
        "webhook-endpoints/<id:pk>/",
        webhooks.WebhookEndpointDetailView.as_view(),
        name="webhook-detail",
    ),
    path("manifests/", manifests.ManifestListView.as_view(), name="manifests"),
    path("manifests/<id:pk>/", manifests.ManifestDetailView.as_view(), name="manifest-detail"),
    path("collections/", collections.CollectionListView.as_view(), name="collections"),
    path(
        "collections/<id:pk>/",
        collections.CollectionDetailView.as_view(),
        name="collection-detail",
    ),
    path(
        "collections/<id:pk>/items/",
        collections.CollectionItemsView.as_view(),
        name="collection-items",
    ),
    path(
        "collections/<id:pk>/datasheet/",
        datasheets.CollectionDatasheetView.as_view(),
        name="collection-datasheet",
    ),
    path("releases/", datasheets.ReleaseListView.as_view(), name="releases"),
    path("releases/<id:pk>/", datasheets.ReleaseDetailView.as_view(), name="release-detail"),
    path(
        "releases/<id:pk>/datasheet/",
        datasheets.ReleaseDatasheetView.as_view(),
        name="release-datasheet",
    ),
    path("flags/", FlagCreateView.as_view(), name="flags"),
    path("", include("marketplace.api.works_urls")),
    path(
        "billing/stripe/webhook/",
        stripe_webhook.StripeWebhookView.as_view(),
        name="stripe-webhook",
    ),
]
# Assets: a viewset, routed with the id converter (`<id:pk>`).
assets_router = SimpleRouter(use_regex_path=False)
assets_router.register("assets", assets.AssetViewSet, basename="asset")
urlpatterns += assets_router.urls
