"""The catalog's sources (what each holds, how its licenses are verified, when it was last
ingested) and the dataset releases with their datasheets, as pages anyone may read."""

from functools import partial

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog import selectors as catalog
from common.errors import DomainError
from marketplace.web.datasheets import datasheet_response
from provenance import selectors as provenance


@require_GET
def source_list(request):
    summaries = catalog.source_summaries()
    context = {
        "sources": [(s, provenance.license_check(s.source)) for s in summaries],
        "opt_out_note": provenance.opt_out_note(),
    }
    return render(request, "web/sources/list.html", context)


@require_GET
def source_detail(request, source: str):
    try:
        summary = catalog.source_summary(source)
    except DomainError as error:
        raise Http404(error.message) from error
    context = {
        "source": summary,
        "check": provenance.license_check(summary.source),
        "opt_out_note": provenance.opt_out_note(),
        "recent": catalog.published_of_source(summary.source, limit=12),
    }
    return render(request, "web/sources/detail.html", context)


@require_GET
def release_list(request):
    return render(request, "web/sources/releases.html",
                  {"releases": catalog.releases_built()[:100]})  # fmt: skip


@require_GET
def release_detail(request, release_id: int):
    """A release's datasheet as a page; `?format=md` as a Markdown file."""
    try:
        release = catalog.release_built(release_id)
    except DomainError as error:
        raise Http404(error.message) from error
    return datasheet_response(request, partial(catalog.release_sheet, release), release=release)
