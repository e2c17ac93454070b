"""The site's pages. The API lives under /api/, the admin under /admin/."""

from django.urls import path

from marketplace.web import (
    accounts,
    browse,
    collections,
    earnings,
    home,
    licensing,
    manifests,
    notifications,
    offers,
    policies,
    sources,
    thresholds,
    uploads,
    wallet,
    webhooks,
    works,
)

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    # Accounts
    path("sign-up/", accounts.sign_up, name="sign-up"),
    path("sign-in/", accounts.SignInView.as_view(), name="sign-in"),
    path("sign-out/", accounts.SignOutView.as_view(), name="sign-out"),
    path("password-reset/", accounts.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password-reset/sent/",
        accounts.PasswordResetSentView.as_view(),
        name="password-reset-sent",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        accounts.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path("account/token/", accounts.token, name="token"),
    path("account/token/<id:token_id>/revoke/", accounts.token_revoke, name="token-revoke"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications-read"),
    # Rights holders: works
    path("works/", works.work_list, name="works"),
    path("works/upload/", uploads.upload_page, name="upload"),
    path("works/upload/batch/", uploads.upload_batch, name="upload-batch"),
    path("works/upload/direct/", uploads.upload_direct_start, name="upload-direct-start"),
    path(
        "works/upload/direct/<uuid:upload_id>/",
        uploads.upload_direct_confirm,
        name="upload-direct-confirm",
    ),
    path("works/price-preview/", offers.price_preview, name="price-preview"),
    path("works/<id:work_id>/", works.work_detail, name="work"),
    path("works/<id:work_id>/offer/", offers.work_offer, name="work-offer"),
    path("works/<id:work_id>/withdraw/", works.work_withdraw, name="work-withdraw"),
    path("works/<id:work_id>/declare/", offers.work_declare, name="work-declare"),
    path("works/<id:work_id>/delete/", works.work_delete, name="work-delete"),
    path("thumbnails/<id:asset_id>.jpg", works.thumbnail, name="thumbnail"),
    # Rights holders: earnings and payouts
    path("earnings/", earnings.dashboard, name="earnings"),
    path("earnings/history/", earnings.history, name="history"),
    path("earnings/usage.csv", earnings.usage_export, name="usage-csv"),
    path("payouts/", earnings.payouts, name="payouts"),
    path("payouts/onboarding/", earnings.payouts_onboarding, name="payouts-onboarding"),
    # The public catalog
    path("search/", browse.search, name="search"),
    path("assets/<id:asset_id>/", browse.asset_detail, name="asset"),
    path("assets/<id:asset_id>/flag/", browse.asset_flag, name="asset-flag"),
    path("policies/<id:asset_id>.jsonld", policies.policy, name="policy"),
    path(".well-known/tdmrep.json", policies.tdmrep, name="tdmrep"),
    path("terms/<str:version>/", policies.terms, name="terms"),
    path("sources/", sources.source_list, name="sources"),
    path("sources/<slug:source>/", sources.source_detail, name="source"),
    path("releases/", sources.release_list, name="releases"),
    path("releases/<id:release_id>/", sources.release_detail, name="release"),
    # Buyers
    path("collections/", collections.collection_list, name="collections"),
    path("collections/add/", collections.items_add, name="collection-add"),
    path("collections/<id:collection_id>/", collections.collection_detail, name="collection"),
    path(
        "collections/<id:collection_id>/remove/",
        collections.items_remove,
        name="collection-remove",
    ),
    path(
        "collections/<id:collection_id>/delete/",
        collections.collection_delete,
        name="collection-delete",
    ),
    path(
        "collections/<id:collection_id>/datasheet/",
        collections.collection_datasheet,
        name="collection-datasheet",
    ),
    path("license/", licensing.license_assets, name="license"),
    path("license/<slug:delivery>/", licensing.license_done, name="license-done"),
    path("license/<slug:delivery>/files.zip", licensing.license_zip, name="license-zip"),
    path("licenses/", licensing.grant_list, name="licenses"),
    path("wallet/", wallet.wallet, name="wallet"),
    path("wallet/top-up/", wallet.top_up, name="top-up"),
    path("wallet/subscribe/", wallet.subscribe, name="subscribe"),
    path("wallet/portal/", wallet.portal, name="portal"),
    path("manifests/", manifests.manifest_list, name="manifests"),
    path("manifests/<id:manifest_id>/", manifests.manifest_detail, name="manifest"),
    path(
        "manifests/<id:manifest_id>/download/",
        manifests.manifest_download,
        name="manifest-download",
    ),
    path("account/thresholds/", thresholds.thresholds, name="thresholds"),
    path("account/webhooks/", webhooks.webhook_list, name="webhooks"),
    path(
        "account/webhooks/<id:endpoint_id>/delete/",
        webhooks.webhook_delete,
        name="webhook-delete",
    ),
]
