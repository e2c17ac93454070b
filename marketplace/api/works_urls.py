"""Routes of the rights holders' work endpoints (uploads, declarations)."""

from django.urls import path

from marketplace.api import works

urlpatterns = [
    path("works/", works.WorkListView.as_view(), name="works"),
    path("works/uploads/", works.DirectUploadView.as_view(), name="work-direct-uploads"),
    path(
        "works/uploads/<uuid:upload_id>/confirm/",
        works.DirectUploadConfirmView.as_view(),
        name="work-direct-upload-confirm",
    ),
    path("works/<id:work_id>/", works.WorkDetailView.as_view(), name="work"),
    path("works/<id:work_id>/offer/", works.WorkOfferView.as_view(), name="work-offer"),
    path(
        "works/<id:work_id>/declaration/",
        works.WorkDeclarationView.as_view(),
        name="work-declaration",
    ),
    path("terms/current/", works.CurrentTermsView.as_view(), name="terms-current"),
]
