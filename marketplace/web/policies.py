"""Machine-readable terms: each asset's ODRL policy, the site's tdmrep.json, and the
training license's text by version (the license our files and policies name)."""

import json

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from common.errors import NotFound
from marketplace.models import TermsVersion
from marketplace.policies import asset_policy, tdmrep_rules

TDMREP_CACHE_SECONDS = 300


@require_GET
def policy(request, asset_id: int):
    """The asset's ODRL 2.2 policy, as JSON-LD."""
    try:
        body = asset_policy(asset_id)
    except NotFound as error:
        raise Http404(error.message) from error
    response = HttpResponse(json.dumps(body, indent=1), content_type="application/ld+json")
    response["Access-Control-Allow-Origin"] = "*"  # public terms, for any agent
    return response


@require_GET
def tdmrep(request):
    """/.well-known/tdmrep.json (W3C TDMRep): the paths reserved, with their policies."""
    body = cache.get_or_set("web.tdmrep.json", lambda: json.dumps(tdmrep_rules()),
                            TDMREP_CACHE_SECONDS)  # fmt: skip
    response = HttpResponse(body, content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def terms(request, version: str):
    """One version of the training license, as buyers accept it."""
    return render(request, "web/terms.html",
                  {"terms": get_object_or_404(TermsVersion, version=version)})  # fmt: skip
