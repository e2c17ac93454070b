"""WebDataset shards on the site: ask for tar shards of a collection or of all the buyer's
licenses, watch them being written (the page polls while a worker builds them), then
download each shard and the index."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from marketplace import shards
from marketplace.models import ShardExport
from marketplace.web.access import buyer_required
from marketplace.web.exports import ExportScopeForm, export_list_page, owned, status_or_page


class ShardExportForm(ExportScopeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collection"].help_text = (
            "Only the images you hold a license for go in; taken-down ones are left out. "
            "Nothing is charged."
        )


@buyer_required
@require_http_methods(["GET", "POST"])
def shard_export_list(request):
    return export_list_page(
        request,
        form_class=ShardExportForm,
        request_export=lambda data: shards.shard_export_request(
            buyer=request.user, collection_id=data["collection"]
        ),
        exports=shards.shard_exports_listed(request.user),
        template="web/shards/list.html",
        started="Your shards are being written.",
        detail="web:shard-export",
        context={"kept_days": settings.SHARD_EXPORT_DAYS},
    )


def _mine(request, export_id: int) -> ShardExport:
    return owned(
        shards.shard_exports_of(request.user).select_related("collection"),
        export_id,
        "No shard export of yours has this id.",
    )


@buyer_required
@require_GET
def shard_export_detail(request, export_id: int):
    """Its state; while it is queued the page (or, with htmx, its status block) asks again
    every few seconds. Built, its shards, each with a download link unless an asset in it
    was taken down since."""
    export = _mine(request, export_id)
    links, index = shards.shard_links(export)
    context = {
        "export": export,
        "shards": links,
        "index": index,
        "withheld": [s for s in links if s.link is None],
        "total_bytes": sum(s.size for s in links),
        "building": _building(export),
        "written": len(export.shards),
        "planned": len(export.plan),
        "kept_until": export.created_at + timedelta(days=settings.SHARD_EXPORT_DAYS),
        "kept_days": settings.SHARD_EXPORT_DAYS,
    }
    return status_or_page(
        request, page="web/shards/detail.html", status="web/shards/_status.html", context=context
    )


def _building(export: ShardExport) -> str:
    """What the page says while a worker writes the shards."""
    if export.plan:
        return f"Writing the shards: {len(export.shards)} of {len(export.plan)} written…"
    return "Writing the shards…"


def _not_ready(request, export: ShardExport):
    messages.info(request, "These shards cannot be downloaded: see why below.")
    return redirect("web:shard-export", export_id=export.pk)


@buyer_required
@require_GET
def shard_download(request, export_id: int, name: str):
    """A fresh short-lived link to one shard, each time it is asked for."""
    export = _mine(request, export_id)
    links, _ = shards.shard_links(export)
    shard = next((s for s in links if s.name == name), None)
    if export.state == ShardExport.State.DONE and shard is None:
        raise Http404("This export has no shard of this name.")
    if shard is None or shard.link is None:
        return _not_ready(request, export)
    return redirect(shard.link.url)


@buyer_required
@require_GET
def shard_index_download(request, export_id: int):
    """A fresh short-lived link to the index (every shard's name, size, SHA-256, samples)."""
    export = _mine(request, export_id)
    _, index = shards.shard_links(export)
    if index is None:
        return _not_ready(request, export)
    return redirect(index.url)
