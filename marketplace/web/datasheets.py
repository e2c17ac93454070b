"""A datasheet (of a release or of a collection) as a page, or as Markdown with
`?format=md`: the one way both are shown."""

from collections.abc import Callable

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from common.links import base_url
from provenance import selectors as provenance


def datasheet_response(request, build: Callable, **context) -> HttpResponse:
    """`build(base_url=...)` makes the sheet; `context` names what it describes."""
    fmt = request.GET.get("format", "")
    if fmt not in ("", "html", "md"):
        message = "The datasheet comes as a page (no format) or as Markdown (format=md)."
        return render(request, "web/400.html", {"message": message}, status=400)
    sheet = build(base_url=base_url(request))
    if fmt == "md":
        response = HttpResponse(provenance.datasheet_as_markdown(sheet),
                                content_type="text/markdown; charset=utf-8")  # fmt: skip
        response["Content-Disposition"] = content_disposition_header(True, f"{sheet.file_stem}.md")
        return response
    context = {"sheet": sheet, **context, **provenance.datasheet_notes(sheet)}
    return render(request, "web/datasheet.html", context)
