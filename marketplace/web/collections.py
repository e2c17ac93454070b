"""Buyers' collections on the site: the list, creating one, a collection's page (rename,
private or not, remove items, removed items with the reason), adding search results to one,
and its datasheet as a page and as Markdown."""

from functools import partial

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import selectors as billing
from common.errors import DomainError
from marketplace import collections
from marketplace.web.access import buyer_required
from marketplace.web.datasheets import datasheet_response
from marketplace.web.forms import add_domain_error


class CollectionForm(forms.Form):
    name = forms.CharField(max_length=200, label="Name")
    private = forms.BooleanField(
        required=False,
        label="Private: only I can see it",
        help_text="Private collections come with the Curation plan. Others can open a "
        "collection that is not private only if you give them its address.",
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the collection a name.")
        return name


def _plan_allows_private(user) -> bool:
    return billing.buyer_quota(user).period.plan.private_collections


@buyer_required
@require_http_methods(["GET", "POST"])
def collection_list(request):
    form = CollectionForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            collection = collections.collection_create(owner=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"“{collection.name}” is created. Add images from the "
                                      "search.")  # fmt: skip
            return redirect("web:collection", collection_id=collection.pk)
    context = {
        "form": form,
        "collections": collections.collections_of(request.user),
        "private_allowed": _plan_allows_private(request.user),
    }
    status = 400 if form.errors else 200
    return render(request, "web/collections/list.html", context, status=status)


def _visible(request, collection_id: int):
    try:
        return collections.collection_visible(viewer=request.user, collection_id=collection_id)
    except DomainError as error:
        raise Http404(error.message) from error


@require_http_methods(["GET", "POST"])
def collection_detail(request, collection_id: int):
    """The owner edits it here; anyone else may read it when it is not private."""
    collection = _visible(request, collection_id)
    mine = collection.owner_id == request.user.pk
    form = CollectionForm(
        request.POST or None, initial={"name": collection.name, "private": collection.private}
    )
    if request.method == "POST":
        if not mine:
            raise Http404("No collection of yours has this id.")
        if form.is_valid():
            try:
                collections.collection_update(
                    owner=request.user, collection_id=collection.pk, **form.cleaned_data
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, "Saved.")
                return redirect("web:collection", collection_id=collection.pk)
    entries = collections.collection_entries(collection)
    context = {
        "collection": collection,
        "mine": mine,
        "form": form,
        "entries": entries,
        "available": sum(1 for e in entries if not e.removed),
        "removed": sum(1 for e in entries if e.removed),
        "private_allowed": mine and _plan_allows_private(request.user),
    }
    status = 400 if form.errors else 200
    return render(request, "web/collections/detail.html", context, status=status)


def _ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        if not (value.isdigit() and len(value) <= 18):
            raise DomainError("Choose images from the list.", code="invalid")
        ids.append(int(value))
    return ids


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):  # fmt: skip
        return target
    return fallback


@buyer_required
@require_POST
def items_add(request):
    """Add the chosen assets (one or many, from the search grid or an asset's page) to one
    of the buyer's collections, or to a new one named here."""
    try:
        ids = _ids(request.POST.getlist("asset"))
        if not ids:
            raise DomainError("Tick the images to add first.", code="invalid")
        name = request.POST.get("new_name", "").strip()
        raw = request.POST.get("collection", "")
        if name:
            collection, added = collections.collection_create_with(
                owner=request.user, name=name[:200], asset_ids=ids
            )
        elif raw.isdigit() and len(raw) <= 18:
            collection = collections.collection_for_owner(owner=request.user,
                                                          collection_id=int(raw))  # fmt: skip
            added = collections.items_add(owner=request.user, collection_id=collection.pk,
                                          asset_ids=ids)  # fmt: skip
        else:
            raise DomainError("Choose a collection, or name a new one.", code="invalid")
    except DomainError as error:
        text, level, status = error.message, messages.ERROR, error.status_code
        collection = None
    else:
        already = len(set(ids)) - added
        text = ngettext("%(n)d image added to “%(name)s”", "%(n)d images added to “%(name)s”",
                        added) % {"n": added, "name": collection.name}  # fmt: skip
        if already:
            text += ngettext(" (%(n)d was in it already)", " (%(n)d were in it already)",
                             already) % {"n": already}  # fmt: skip
        text += "."
        level, status = messages.SUCCESS, 200
    if request.htmx:
        context = {"text": text, "ok": level == messages.SUCCESS, "collection": collection,
                   "my_collections": collections.collections_of(request.user)}  # fmt: skip
        return render(request, "web/collections/_added.html", context, status=status)
    messages.add_message(request, level, text)
    return redirect(_back(request, reverse("web:search")))


@buyer_required
@require_POST
def items_remove(request, collection_id: int):
    try:
        ids = _ids(request.POST.getlist("asset"))
        if not ids:
            raise DomainError("Tick the images to remove first.", code="invalid")
        removed = collections.items_remove(owner=request.user, collection_id=collection_id,
                                           asset_ids=ids)  # fmt: skip
    except DomainError as error:
        if error.status_code == 404:
            raise Http404(error.message) from error
        messages.error(request, error.message)
    else:
        messages.success(request, ngettext("%(n)d image removed.", "%(n)d images removed.",
                                           removed) % {"n": removed})  # fmt: skip
    return redirect("web:collection", collection_id=collection_id)


@buyer_required
@require_POST
def collection_delete(request, collection_id: int):
    if not request.POST.get("confirm"):
        messages.error(request, "Tick the box to confirm that the collection should go.")
        return redirect("web:collection", collection_id=collection_id)
    try:
        collections.collection_delete(owner=request.user, collection_id=collection_id)
    except DomainError as error:
        raise Http404(error.message) from error
    messages.success(request, "The collection is deleted. Your licenses are unchanged.")
    return redirect("web:collections")


@require_GET
def collection_datasheet(request, collection_id: int):
    """The collection's datasheet as a page; `?format=md` as a Markdown file."""
    collection = _visible(request, collection_id)
    build = partial(collections.collection_datasheet, collection)
    return datasheet_response(request, build, collection=collection)
