"""The public catalog: search (the API's search with the same parameters, cursor, time limit
and saved thresholds), an asset's page with its provenance and neighbours, and flagging.

The search form keeps the whole query in the URL, so a search can be shared and bookmarked;
htmx swaps the results in place and pushes the URL, and "More" appends the next page."""

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from catalog import selectors as catalog
from catalog.models import USE_LABELS, License, Use
from common.errors import DomainError
from marketplace import collections
from marketplace.models import Role
from marketplace.policies import consent_headers, with_consent_headers
from marketplace.search_defaults import saved_thresholds, search_thresholds
from marketplace.web.access import has_role
from marketplace.web.forms import add_domain_error
from marketplace.web.throttle import flag_attempt_refused
from moderation import services as moderation
from provenance import selectors as provenance

PAGE_SIZE = 24
# The sliders' top position means "no threshold" (the API's max_nsfw=1 would still leave
# out assets not scored yet; the page's "any" does not).
NSFW_ANY = 1.0
FACES_ANY = 10
# Shapes as aspect ratios (width / height), the API's min_aspect and max_aspect.
SHAPES = {
    "landscape": ("Landscape", 1.1, None),
    "portrait": ("Portrait", None, 0.9),
    "square": ("About square", 0.9, 1.1),
    "panorama": ("Panorama (2:1 or wider)", 2.0, None),
}
ORDERINGS = {"relevance": "Best match", "newest": "Newest first"}
# What the page's form may send: the API's search parameters and the page's own shape.
FORM_PARAMS = (
    "q", "license", "source", "creator", "year_from", "year_to", "min_width", "min_height",
    "shape", "min_aspect", "max_aspect", "use", "min_price", "max_price", "free_only", "ordering",
    *catalog.SCORE_PARAMS, "use_saved_thresholds", "cursor",
)  # fmt: skip


def _api_query(get: QueryDict) -> QueryDict:
    """The page's query as the API's search parameters: empty values dropped, the sliders'
    "any" positions dropped, the shape as aspect bounds. Other parameters (a campaign tag,
    say) are ignored: a shared link must not break on them."""
    query = QueryDict(mutable=True)
    for name in FORM_PARAMS:
        values = [v.strip() for v in get.getlist(name) if v.strip()]
        if values:
            query.setlist(name, values)
    shape = SHAPES.get(query.pop("shape", [""])[-1])
    if shape:
        _, low, high = shape
        for name, bound in (("min_aspect", low), ("max_aspect", high)):
            if bound is not None:
                query[name] = str(bound)
    if _number(query.get("max_nsfw")) >= NSFW_ANY:
        query.pop("max_nsfw")
    if _number(query.get("max_faces")) >= FACES_ANY:
        query.pop("max_faces")
    for flag in ("free_only", "exclude_pii", "exclude_sensitive"):
        if query.get(flag) == "on":  # a checkbox's value
            query[flag] = "true"
    return query


def _without(get: QueryDict, name: str) -> str:
    query = get.copy()
    query.pop(name, None)
    return query.urlencode()


def _number(text: str | None) -> float:
    try:
        return float(text) if text else -1
    except ValueError:
        return -1  # left for the search to refuse, naming the parameter


@dataclass(frozen=True)
class Facet:
    value: str
    label: str
    count: int
    selected: bool
    query: str  # the page's query with this facet chosen (or, when chosen, dropped)


def _facets(facets: dict | None, get: QueryDict, name: str, labels) -> list[Facet]:
    if not facets:
        return []
    chosen = set(get.getlist(name))
    items = []
    for value, count in facets.get(name, {}).items():
        query = get.copy()
        query.pop("cursor", None)
        if value in chosen:
            query.setlist(name, [v for v in get.getlist(name) if v != value])
        else:
            query.setlist(name, [value])
        items.append(Facet(value, labels(value), count, value in chosen, query.urlencode()))
    return sorted(items, key=lambda f: (-f.count, f.label))


def _license_label(code: str) -> str:
    return License(code).label if code in License.values else code


def _left_out(params: dict, applied: dict, total: int | None) -> int | None:
    """How many matches the thresholds leave out (None when none applies, or unknown)."""
    if total is None or not any(v is not None for v in applied.values()):
        return None
    unfiltered = {k: v for k, v in params.items() if k not in catalog.SCORE_PARAMS}
    try:
        return max(0, catalog.asset_match_count(unfiltered)["total"] - total)
    except catalog.SearchTooBroad:
        return None


@require_GET
def search(request):
    get = request.GET
    context = {
        "get": get,
        "shapes": [(code, label) for code, (label, _, _) in SHAPES.items()],
        "orderings": ORDERINGS.items(),
        "licenses": License.choices,
        "uses": Use.choices,
        "sources": _source_choices(get),
        "nsfw_any": NSFW_ANY,
        "faces_any": FACES_ANY,
        "saved_text": thresholds_text(saved_thresholds(request.user)),
        "license_chosen": get.getlist("license"),
        "is_buyer": has_role(request.user, Role.BUYER),
        "errors": {},
        "results": [],
        "first_page_query": _without(get, "cursor"),
    }
    status = 200
    try:
        params = catalog.search_params_clean(_api_query(get))
        thresholds = search_thresholds(user=request.user, params=params)
        params = {**thresholds.params, "facets": not params.get("cursor")}
        page = catalog.asset_search_page(params, page_size=PAGE_SIZE)
    except catalog.SearchTooBroad as error:
        context["too_broad"] = error.message
        status = 400
    except DomainError as error:
        context["errors"] = error.fields or {"q": [error.message]}
        status = 400
    else:
        total = page.facets["total"] if page.facets else None
        more = get.copy()
        more["cursor"] = page.next_cursor or ""
        context.update(
            results=page.rows,
            facets=page.facets,
            source_facets=_facets(page.facets, get, "source", catalog.source_name),
            license_facets=_facets(page.facets, get, "license", _license_label),
            applied=thresholds.applied,
            from_saved_text=thresholds_text(
                {k: thresholds.applied[k] for k in thresholds.from_saved}
            ),
            left_out=_left_out(params, thresholds.applied, total),
            # The use searched for goes with the ticked images and the images' pages to
            # licensing, chosen there already.
            searched_use=params.get("use") or "",
            next_query=more.urlencode() if page.next_cursor else "",
            searched=bool(_api_query(get)),
            filters_in_use=len(
                [k for k in _api_query(get) if k not in ("q", "cursor", "use_saved_thresholds")]
            ),
        )
    context.update(_threshold_inputs(get, context.get("applied")))
    if request.htmx and not request.htmx.history_restore_request:
        template = "web/search/_page.html" if get.get("cursor") else "web/search/_results.html"
        return render(request, template, context, status=status)
    if request.user.is_authenticated and has_role(request.user, Role.BUYER):
        context["my_collections"] = collections.collections_of(request.user)
    return render(request, "web/search/search.html", context, status=status)


def _threshold_inputs(get: QueryDict, applied: dict | None) -> dict:
    """Where the sliders and boxes stand: at the thresholds the search applied (the saved
    defaults included), or as the page asked when the search was refused."""
    if applied is None:
        applied = {
            "max_nsfw": _number(get.get("max_nsfw")) if get.get("max_nsfw") else None,
            "max_faces": _number(get.get("max_faces")) if get.get("max_faces") else None,
            "exclude_pii": bool(get.get("exclude_pii")),
            "exclude_sensitive": bool(get.get("exclude_sensitive")),
        }
    nsfw, faces = applied.get("max_nsfw"), applied.get("max_faces")
    return {
        "nsfw_value": NSFW_ANY if nsfw is None or nsfw < 0 else nsfw,
        "faces_value": FACES_ANY if faces is None or faces < 0 else int(min(faces, FACES_ANY)),
        "pii_checked": bool(applied.get("exclude_pii")),
        "sensitive_checked": bool(applied.get("exclude_sensitive")),
    }


THRESHOLD_WORDS = {
    "max_nsfw": "nudity at most {}",
    "max_faces": "at most {} faces",
    "exclude_pii": "no personal data in the text",
    "exclude_sensitive": "nothing marked sensitive",
}


def thresholds_text(values: dict) -> list[str]:
    """Thresholds in words, in the search's order: ["nudity at most 0.2", ...]."""
    return [
        THRESHOLD_WORDS.get(name, name).format(values[name])
        for name in catalog.SCORE_PARAMS
        if values.get(name) not in (None, False)
    ]


def _source_choices(get: QueryDict) -> list[tuple[str, str]]:
    shown = {*catalog.facet_sources(), *get.getlist("source")}
    return sorted(((s, catalog.source_name(s)) for s in shown), key=lambda c: c[1])


class FlagForm(forms.Form):
    reason = forms.ChoiceField(label="What is wrong?", choices=())
    description = forms.CharField(
        label="Tell the moderators more",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for “Other”. Moderators read it; it is not public.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = moderation.flag_reasons()


def _asset(asset_id: int):
    try:
        return catalog.published_asset(asset_id)
    except DomainError as error:
        raise Http404(error.message) from error


@require_GET
def asset_detail(request, asset_id: int):
    return _asset_page(request, _asset(asset_id), FlagForm())


def _asset_page(request, asset, flag_form: FlagForm, *, status: int = 200):
    fee = settings.PLATFORM_FEE_MICROS if asset.license == License.OPT_IN else 0
    context = {
        "asset": asset,
        "record": provenance.provenance_record(asset.pk),
        "license_url": catalog.license_url(asset.license),
        "price": asset.price_micros or 0,
        "fee": fee,
        "uses": [
            {"code": use, "label": USE_LABELS[use], "price": (asset.use_prices or {}).get(use)}
            for use in Use.values
        ],
        "history": provenance.public_history(asset.pk),
        "like": catalog.assets_like(asset),
        "source_name": catalog.source_name(asset.source),
        "flag_form": flag_form,
        "is_buyer": has_role(request.user, Role.BUYER),
        # Reached from a search for one use: that use is marked and licensing opens
        # with it chosen. Anything else in the link is ignored (an old or edited link).
        "searched_use": request.GET.get("use") if request.GET.get("use") in Use.values else "",
    }
    if context["is_buyer"]:
        context["my_collections"] = collections.collections_of(request.user)
    # TDMRep, in the page's headers and in its <meta> elements alike.
    context["tdm"] = consent_headers([(asset.pk, asset.license)])
    response = render(request, "web/search/asset.html", context, status=status)
    return with_consent_headers(response, [(asset.pk, asset.license)])


@login_required
@require_POST
def asset_flag(request, asset_id: int):
    asset = _asset(asset_id)
    if refused := flag_attempt_refused(request):
        return refused
    form = FlagForm(request.POST)
    if form.is_valid():
        try:
            _, new = moderation.asset_flag(reporter=request.user, asset_id=asset.pk,
                                           **form.cleaned_data)  # fmt: skip
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                "Thank you: the moderators will look at it."
                if new
                else "You flagged this already; the moderators have not decided yet.",
            )
            return redirect(reverse("web:asset", args=[asset.pk]) + "#flag-h")
    return _asset_page(request, asset, form, status=400)
