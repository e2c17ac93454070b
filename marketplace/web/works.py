"""A rights holder's works: the list with filters, a work's page (edit, delete, withdraw),
and thumbnails. Uploading is in `web.uploads`, offering and declaring in `web.offers`."""

from django import forms
from django.contrib import messages
from django.core.files.storage import storages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.selectors import (
    MAX_CREATION_DATE_LENGTH,
    asset_thumbnail_key,
    creation_date_clean,
    tags_clean,
)
from common.errors import DomainError
from marketplace import offers, selectors, uploads
from marketplace.delivery import thumbnail_signed
from marketplace.models import Role, Use
from marketplace.usage import usage_history
from marketplace.web.access import has_role, rights_holder_required

PAGE_SIZE = 24


@rights_holder_required
@require_GET
def work_list(request):
    state = request.GET.get("state", "")
    state = state if state in selectors.STATE_LABELS else ""
    query = request.GET.get("q", "")[:200]
    page = Paginator(selectors.works_for_page(request.user, state=state, query=query),
                     PAGE_SIZE).get_page(request.GET.get("page"))  # fmt: skip
    context = {
        "page": page,
        "items": [(work, selectors.work_state(work)) for work in page.object_list],
        "state": state,
        "query": query,
        "states": [
            (code, label, count)
            for (code, label), count in zip(
                selectors.STATE_LABELS.items(),
                selectors.work_state_counts(request.user).values(),
                strict=True,
            )
        ],
        "filtered": bool(state or query),
    }
    template = "web/works/_list.html" if request.htmx else "web/works/list.html"
    return render(request, template, context)


class WorkEditForm(forms.Form):
    title = forms.CharField(max_length=500)
    description = forms.CharField(
        max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    creation_date = forms.CharField(
        label="Made",
        max_length=MAX_CREATION_DATE_LENGTH,
        required=False,
        help_text="A date (2021-05-03, 2021-05) or words (c. 1850, spring 2021).",
    )
    tags = forms.CharField(
        max_length=2000, required=False, help_text="Separate tags with commas; up to 20."
    )

    def clean_title(self):
        return self.cleaned_data["title"].strip()

    def clean_description(self):
        return self.cleaned_data["description"].strip()

    def clean_creation_date(self):
        try:
            return creation_date_clean(self.cleaned_data["creation_date"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_tags(self):
        try:
            return list(tags_clean(self.cleaned_data["tags"].split(",")))
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error


def owned_work(request, work_id: int):
    """The signed-in owner's work with what its pages show; anyone else's is a 404."""
    try:
        return uploads.work_detail(owner=request.user, work_id=work_id)
    except DomainError as error:
        raise Http404(error.message) from error


@rights_holder_required
@require_http_methods(["GET", "POST"])
def work_detail(request, work_id: int):
    work = owned_work(request, work_id)
    asset = work.asset
    initial = {"title": asset.title, "description": asset.description,
               "creation_date": asset.creation_date, "tags": ", ".join(asset.tags)}  # fmt: skip
    form = WorkEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if v != initial[k]}
        if "tags" in changes and changes["tags"] == list(asset.tags):
            changes.pop("tags")
        if changes:
            uploads.work_update(owner=request.user, work_id=work.pk, **changes)
            messages.success(request, "Saved. Buyers' search shows the new details at once.")
        else:
            messages.info(request, "Nothing changed.")
        return redirect("web:work", work_id=work.pk)
    offer = work.current_offers[0] if work.current_offers else None
    offered = selectors.offer_uses(offer)
    context = {
        "work": work,
        "asset": asset,
        "state": selectors.work_state(work),
        "form": form,
        "offer": offer,
        "price": selectors.price_breakdown(offer.price_micros) if offer else None,
        "uses": [
            {
                "use": use,
                "price_micros": price,
                "buyer_pays_micros": selectors.price_breakdown(price).buyer_pays_micros,
            }
            for use, price in offered.items()
        ],
        "not_allowed": [use for use in Use.values if use not in offered],
        "declaration": work.newest_declarations[0] if work.newest_declarations else None,
        "licensed": selectors.work_is_licensed(work),
        "history": list(usage_history(owner=request.user, work_id=work.pk)[:20]),
    }
    return render(request, "web/works/detail.html", context, status=400 if form.errors else 200)


@rights_holder_required
@require_POST
def work_delete(request, work_id: int):
    if not request.POST.get("confirm"):
        messages.error(request, "Tick the box to confirm that the work should be deleted.")
        return redirect("web:work", work_id=work_id)
    try:
        title = uploads.work_delete(owner=request.user, work_id=work_id)
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from error
        messages.error(request, error.message)
        return redirect("web:work", work_id=work_id)
    messages.success(request, f"“{title}” is deleted, with its files.")
    return redirect("web:works")


@rights_holder_required
@require_POST
def work_withdraw(request, work_id: int):
    try:
        offers.offer_withdraw(owner=request.user, work_id=work_id)
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from error
        messages.error(request, error.message)
    else:
        messages.success(
            request, "Withdrawn: nobody can license it now. Licenses already bought stay valid."
        )
    return redirect("web:work", work_id=work_id)


@require_GET
def thumbnail(request, asset_id: int):
    """Every thumbnail the site, the API and the admin show comes through here (one storage
    path for local folders and S3, no storage host to allow in the pages' policy, and a
    takedown hides it at once): anyone's for a published asset, the owner's own works and,
    for moderators, any asset in any state."""
    key = asset_thumbnail_key(asset_id, published_only=True)
    owner = has_role(request.user, Role.RIGHTS_HOLDER)
    if not key and (
        request.user.has_perm("catalog.view_asset")
        or (owner and selectors.owns_asset(request.user, asset_id))
        or thumbnail_signed(asset_id, request.GET.get("s", ""))
    ):
        key = asset_thumbnail_key(asset_id, published_only=False)
    if not key:
        raise Http404("No thumbnail.")
    response = FileResponse(storages["default"].open(key), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    return response
