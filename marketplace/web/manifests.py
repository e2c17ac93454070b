"""Manifests on the site: build a JSON Lines or Parquet manifest of a collection or of all
the buyer's licenses, watch it until it is ready (the page polls while a worker builds it),
then download it."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from common.errors import DomainError
from common.links import base_url
from marketplace import collections, manifests
from marketplace.models import ManifestExport
from marketplace.web.access import buyer_required
from marketplace.web.forms import add_domain_error


class ManifestForm(forms.Form):
    format = forms.ChoiceField(
        label="Format",
        choices=[
            (ManifestExport.Format.PARQUET, "Parquet (for pandas, Spark, Hugging Face datasets)"),
            (ManifestExport.Format.JSONL, "JSON Lines (one JSON object per line)"),
        ],
        initial=ManifestExport.Format.PARQUET,
        widget=forms.RadioSelect,
    )
    collection = forms.TypedChoiceField(
        label="Of",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="Only the assets you hold a license for are listed; taken-down ones are left "
        "out. The links inside stay valid for a day.",
    )

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collection"].choices = [
            ("", "Everything I have licensed"),
            *((c.pk, f"Collection “{c.name}”") for c in collections.collections_of(owner)),
        ]


@buyer_required
@require_http_methods(["GET", "POST"])
def manifest_list(request):
    initial = {"collection": request.GET.get("collection", "")}
    form = ManifestForm(request.POST or None, owner=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            manifest = manifests.manifest_request(
                buyer=request.user,
                format=form.cleaned_data["format"],
                collection_id=form.cleaned_data["collection"],
                base_url=base_url(request),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Your manifest is being built.")
            return redirect("web:manifest", manifest_id=manifest.pk)
    page = Paginator(manifests.manifests_of(request.user), 20).get_page(request.GET.get("page"))
    status = 400 if form.errors else 200
    return render(request, "web/manifests/list.html", {"form": form, "page": page}, status=status)


def _mine(request, manifest_id: int) -> ManifestExport:
    manifest = manifests.manifests_of(request.user).filter(pk=manifest_id).first()
    if manifest is None:
        raise Http404("No manifest of yours has this id.")
    return manifest


@buyer_required
@require_GET
def manifest_detail(request, manifest_id: int):
    """Its state; while it is queued the page (or, with htmx, its status block) asks again
    every few seconds."""
    manifest = _mine(request, manifest_id)
    context = {"manifest": manifest, "link": manifests.manifest_link(manifest)}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "web/manifests/_status.html", context)
    return render(request, "web/manifests/detail.html", context)


@buyer_required
@require_GET
def manifest_download(request, manifest_id: int):
    """A fresh short-lived link to the file, each time it is asked for."""
    manifest = _mine(request, manifest_id)
    link = manifests.manifest_link(manifest)
    if link is None:
        messages.info(request, "The manifest is not ready yet.")
        return redirect("web:manifest", manifest_id=manifest.pk)
    return redirect(link.url)
