"""Manifests on the site: build a JSON Lines or Parquet manifest of a collection or of all
the buyer's licenses, watch it until it is ready (the page polls while a worker builds it),
then download it. Its file is kept MANIFEST_EXPORT_DAYS days, then the page says it expired."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from common.links import base_url
from marketplace import manifests
from marketplace.models import ManifestExport
from marketplace.web.access import buyer_required
from marketplace.web.exports import ExportScopeForm, export_list_page, owned, status_or_page


class ManifestForm(ExportScopeForm):
    format = forms.ChoiceField(
        label="Format",
        choices=[
            (ManifestExport.Format.PARQUET, "Parquet (for pandas, Spark, Hugging Face datasets)"),
            (ManifestExport.Format.JSONL, "JSON Lines (one JSON object per line)"),
        ],
        initial=ManifestExport.Format.PARQUET,
        widget=forms.RadioSelect,
    )
    field_order = ["format", "collection"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collection"].help_text = (
            "Only the assets you hold a license for are listed; taken-down ones are left "
            "out. The links inside stay valid for a day."
        )


@buyer_required
@require_http_methods(["GET", "POST"])
def manifest_list(request):
    return export_list_page(
        request,
        form_class=ManifestForm,
        request_export=lambda data: manifests.manifest_request(
            buyer=request.user,
            format=data["format"],
            collection_id=data["collection"],
            base_url=base_url(request),
        ),
        exports=manifests.manifests_of(request.user),
        template="web/manifests/list.html",
        started="Your manifest is being built.",
        detail="web:manifest",
        context={"kept_days": settings.MANIFEST_EXPORT_DAYS},
    )


def _mine(request, manifest_id: int) -> ManifestExport:
    return owned(
        manifests.manifests_of(request.user), manifest_id, "No manifest of yours has this id."
    )


@buyer_required
@require_GET
def manifest_detail(request, manifest_id: int):
    """Its state; while it is queued the page (or, with htmx, its status block) asks again
    every few seconds."""
    manifest = _mine(request, manifest_id)
    context = {
        "manifest": manifest,
        "link": manifests.manifest_link(manifest),
        "kept_until": manifest.created_at + timedelta(days=settings.MANIFEST_EXPORT_DAYS),
        "kept_days": settings.MANIFEST_EXPORT_DAYS,
    }
    return status_or_page(
        request,
        page="web/manifests/detail.html",
        status="web/manifests/_status.html",
        context=context,
    )


@buyer_required
@require_GET
def manifest_download(request, manifest_id: int):
    """A fresh short-lived link to the file, each time it is asked for."""
    manifest = _mine(request, manifest_id)
    link = manifests.manifest_link(manifest)
    if link is None:
        messages.info(
            request,
            "This manifest has expired: its file was deleted."
            if manifest.state == ManifestExport.State.EXPIRED
            else "The manifest is not ready yet.",
        )
        return redirect("web:manifest", manifest_id=manifest.pk)
    return redirect(link.url)
