"""What the pages of a buyer's exports (manifests, WebDataset shards) share: the choice of
what to export, the list with its form, and finding one of the buyer's own exports (the
detail pages poll it with htmx while a worker builds it)."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect, render

from common.errors import DomainError
from marketplace import collections
from marketplace.web.forms import add_domain_error


class ExportScopeForm(forms.Form):
    """Everything the buyer licensed, or one of their collections."""

    collection = forms.TypedChoiceField(label="Of", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collection"].choices = [
            ("", "Everything I have licensed"),
            *((c.pk, f"Collection “{c.name}”") for c in collections.collections_of(owner)),
        ]


def export_list_page(
    request,
    *,
    form_class: type[ExportScopeForm],
    request_export: Callable[[dict], object],
    exports: QuerySet,
    template: str,
    started: str,
    detail: str,
    context: dict | None = None,
):
    """The buyer's exports, newest first, under a form asking for a new one: on success the
    new export's page (`detail`, a URL name), else the form again with its errors (400)."""
    initial = {"collection": request.GET.get("collection", "")}
    form = form_class(request.POST or None, owner=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            export = request_export(form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, started)
            return redirect(detail, export.pk)
    page = Paginator(exports, 20).get_page(request.GET.get("page"))
    status = 400 if form.errors else 200
    return render(request, template, {"form": form, "page": page, **(context or {})}, status=status)


def owned(exports: QuerySet, export_id: int, missing: str):
    """One of the buyer's exports (`exports` holds only theirs); anyone else's is a 404."""
    export = exports.filter(pk=export_id).first()
    if export is None:
        raise Http404(missing)
    return export


def status_or_page(request, *, page: str, status: str, context: dict):
    """The whole page, or for htmx's polling only its status block."""
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, status, context)
    return render(request, page, context)
