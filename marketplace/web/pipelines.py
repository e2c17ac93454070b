"""The buyer's Pipelines page: one place for the pages that feed a training pipeline
(manifests, WebDataset shards, webhooks, API tokens), each in a line with its latest state.
The pages themselves keep their own addresses."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from marketplace.pipelines import pipeline_overview
from marketplace.web.access import buyer_required


@buyer_required
@require_GET
def pipelines(request):
    return render(request, "web/pipelines.html", {"overview": pipeline_overview(request.user)})
