from django.contrib import admin
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView

from common.fields import IdConverter
from marketplace.api.docs_views import ApiDocsView
from marketplace.api.health import HealthzView, ReadyzView
from marketplace.api.receipts import ReceiptKeysView

# `<id:pk>` in every URL of the site and the API: an id in range, else no match (a 404).
register_converter(IdConverter, "id")

urlpatterns = [
    path("healthz", HealthzView.as_view(), name="healthz"),
    path("readyz", ReadyzView.as_view(), name="readyz"),
    path(".well-known/receipt-keys.json", ReceiptKeysView.as_view(), name="receipt-keys"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("marketplace.api.urls")),
    path("billing/sandbox/", include("marketplace.web.sandbox")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="schema"), name="api-docs"),
    path("", include("marketplace.web.urls")),
]

handler400 = "marketplace.api.errors.bad_request"
handler403 = "marketplace.api.errors.permission_denied"
handler404 = "marketplace.api.errors.page_not_found"
handler500 = "marketplace.api.errors.server_error"
