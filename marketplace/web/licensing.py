"""Licensing and downloading on the site: a summary before confirming (what is free, what
costs money, the quota and wallet after), the declared purpose, then the links of what was
licensed and a zip of the files for small sets. Refusals say why and what to do next.

The links handed out stay as short-lived as the API's (DOWNLOAD_URL_SECONDS): the page that
lists them keeps only the grant ids and the links' expiry in the session, and draws each
link again with that same expiry, never a later one."""

import uuid

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from billing.services import InsufficientFunds, QuotaExceeded, WalletFrozen
from catalog import selectors as catalog
from common.errors import DomainError
from marketplace import collections, downloads
from marketplace.delivery import Delivery, delivery_files, delivery_zip
from marketplace.downloads import DownloadRefused
from marketplace.idempotency import Answer, idempotent_call, request_fingerprint
from marketplace.models import Purpose, Use
from marketplace.policies import with_consent_headers
from marketplace.served import StoredFileUnreadable
from marketplace.web.access import buyer_required

SESSION_KEY = "web_deliveries"
KEPT_DELIVERIES = 5  # the latest ones a buyer can come back to while their links live


class LicenseForm(forms.Form):
    purpose = forms.ChoiceField(
        label="What will you use them for?",
        choices=Purpose.choices,
        initial=Purpose.RESEARCH,
        widget=forms.RadioSelect,
        help_text="Rights holders see the purpose of each license (never who bought it). "
        "Some works allow research only.",
    )
    use = forms.ChoiceField(
        label="How will you use them?",
        choices=Use.choices,
        widget=forms.RadioSelect,
        help_text="Each opt-in work is licensed for this one use, at the price its rights "
        "holder set for it; another use is another license. Public-domain and CC0 images "
        "allow every use.",
        error_messages={"required": "Choose the use you license them for."},
    )
    purpose_note = forms.CharField(
        label="In your words (optional)",
        max_length=500,
        required=False,
        help_text="For example: “fine-tuning an image captioning model”.",
    )
    skip_unavailable = forms.BooleanField(
        label="License the others and skip the ones that cannot be licensed",
        required=False,
    )


def _selection(request) -> tuple[list[int], object]:
    """The assets asked for: `asset` ids (a grid's selection, an asset's page) or the buyer's
    `collection`, from the query string or the form."""
    data = request.POST if request.method == "POST" else request.GET
    # The search grid's form holds the chooser of "Add to the collection" too: licensing
    # from the grid (`step=review`) is for the ticked images, never for that collection.
    from_grid = request.method == "POST" and data.get("step") == "review"
    raw_collection = "" if from_grid else data.get("collection", "")
    if raw_collection:
        if not (raw_collection.isdigit() and len(raw_collection) <= 18):
            raise Http404("No collection of yours has this id.")
        try:
            collection = collections.collection_for_owner(
                owner=request.user, collection_id=int(raw_collection)
            )
            ids = collections.collection_asset_ids(owner=request.user,
                                                   collection_id=collection.pk)  # fmt: skip
        except DomainError as error:
            raise Http404(error.message) from error
        return ids, collection
    ids = []
    for value in data.getlist("asset"):
        if not (value.isdigit() and len(value) <= 18):
            raise DomainError("Choose images from the catalog.", code="invalid")
        ids.append(int(value))
    return list(dict.fromkeys(ids)), None


@buyer_required
@require_http_methods(["GET", "POST"])
def license_assets(request):
    """GET (or POST with `step=review`, from the search grid): the summary. POST with
    `step=confirm`: license them and go to the links."""
    try:
        ids, collection = _selection(request)
    except DomainError as error:
        return _page(request, [], None, LicenseForm(), error=error)
    asked = request.POST if request.method == "POST" else request.GET
    confirming = request.method == "POST" and asked.get("step") == "confirm"
    data = asked if confirming else request.GET
    # The use comes chosen when the buyer arrives with one: the use they searched for (the
    # search grid posts it with the ticked images), an asset page's per-use link, a grant's
    # "Download again". They can still change it before confirming.
    form = LicenseForm(data if confirming or "purpose" in data else None,
                       initial={"use": asked.get("use", "")})  # fmt: skip
    # The base set allows every use: a use is needed only where an opt-in work is asked for.
    form.fields["use"].required = catalog.includes_opt_in(ids)
    if confirming and form.is_valid() and ids:
        try:
            delivered = _grant(request, ids, form.cleaned_data)
        except DomainError as error:
            if isinstance(error, StoredFileUnreadable):  # rolled back: report it now
                error.report(actor=request.user.get_username())
            return _page(request, ids, collection, form, error=error)
        return redirect("web:license-done", delivery=_keep(request, delivered))
    return _page(request, ids, collection, form)


def _grant(request, ids: list[int], data: dict) -> dict:
    """License the assets once per form: the form's one-time key makes a second click (or a
    reload of the answer) replay the first licensing, which charged and counted already."""
    request_data = {"asset_ids": ids, **data, "purpose_note": data["purpose_note"].strip()}
    key = _key(request.POST.get("key", ""))

    def run() -> Answer:
        result = downloads.downloads_grant(buyer=request.user, idempotency_key=key,
                                           **request_data)  # fmt: skip
        return Answer(201, _delivered(result))

    if not key:
        return run().body
    fingerprint = request_fingerprint(method="POST", path=request.path, data=request_data)
    return idempotent_call(user=request.user, key=key, fingerprint=fingerprint, run=run).body


def _key(raw: str) -> str:
    try:
        return f"web-{uuid.UUID(raw)}"
    except ValueError:
        return ""


def _page(request, ids, collection, form, *, error: DomainError | None = None):
    purpose = (form.data.get("purpose") if form.is_bound else None) or Purpose.RESEARCH
    if purpose not in Purpose.values:
        purpose = Purpose.RESEARCH
    asked_use = (form.data if form.is_bound else form.initial).get("use") or ""
    use = asked_use if asked_use in Use.values else ""
    quote = downloads.downloads_quote(buyer=request.user, asset_ids=ids, purpose=purpose,
                                      use=use)  # fmt: skip
    context = {
        "form": form,
        "ids": ids,
        "collection": collection,
        "quote": quote,
        "use": use,
        # A use in the link that is none of the four (an old or mistyped link): said, and
        # left for the buyer to choose. A bound form says it as a field error instead.
        "unknown_use": asked_use if asked_use != use and not form.is_bound else "",
        "named": catalog.assets_by_id([*quote.paid, *quote.refused][:200]),
        "error": error,
        "refusal": _refusal(error),
        "key": uuid.uuid4(),
    }
    status = error.status_code if error else (400 if form.is_bound and form.errors else 200)
    if not ids and error is None:
        status = 200
    template = "web/licensing/_summary.html" if request.htmx else "web/licensing/summary.html"
    return render(request, template, context, status=status)


def _refusal(error: DomainError | None) -> str:
    """Which way forward the page offers for a refusal."""
    if isinstance(error, QuotaExceeded):
        return "quota"
    if isinstance(error, InsufficientFunds):
        return "funds"
    if isinstance(error, WalletFrozen):
        return "frozen"
    if isinstance(error, DownloadRefused):
        return "unavailable"
    return "other" if error else ""


def _delivered(result) -> dict:
    """What the links page needs of a licensing: grant ids and the links' expiry."""
    expires = min((d.link.expires_at for d in result.delivered), default=timezone.now())
    return {
        "grants": [d.grant.pk for d in result.delivered],
        "expires": int(expires.timestamp()),
        "charged": result.charged_micros,
        "refused": {str(k): v for k, v in result.refused.items()},
        "new": sum(1 for d in result.delivered if d.new),
        "remaining": result.quota.remaining if result.quota else None,
        "wallet": result.wallet_micros,
        "receipt": result.receipt.receipt_id if result.receipt else "",
    }


def _keep(request, delivery: dict) -> str:
    """Keep a licensing's links for the links page (the latest few, in the session)."""
    kept = request.session.get(SESSION_KEY, {})
    name = uuid.uuid4().hex
    kept[name] = delivery
    request.session[SESSION_KEY] = dict(list(kept.items())[-KEPT_DELIVERIES:])
    return name


def _delivery(request, name: str) -> Delivery:
    kept = request.session.get(SESSION_KEY, {}).get(name)
    if not kept:
        raise Http404("These links are no longer kept; license the images again.")
    return Delivery(kept["grants"], kept["expires"])


@buyer_required
@require_GET
def license_done(request, delivery: str):
    kept = request.session.get(SESSION_KEY, {}).get(delivery)
    files = delivery_files(buyer=request.user, delivery=_delivery(request, delivery))
    context = {
        "files": files,
        "kept": kept,
        "delivery": delivery,
        "expired": files.expired,
        "zip_allowed": files.zip_refusal == "",
    }
    return render(request, "web/licensing/done.html", context)


@buyer_required
@require_GET
def license_zip(request, delivery: str):
    """The licensed files in one zip, streamed as it is written (nothing is held in memory),
    while the links are valid and the set is small enough (DOWNLOAD_ZIP_MAX_FILES,
    DOWNLOAD_ZIP_MAX_BYTES)."""
    try:
        archive = delivery_zip(buyer=request.user, delivery=_delivery(request, delivery))
    except DomainError as error:
        context = {"message": error.message, "back": reverse("web:license-done", args=[delivery])}
        return render(request, "web/400.html", context, status=error.status_code)
    response = StreamingHttpResponse(archive.stream, content_type="application/zip")
    response["Content-Length"] = str(archive.size)
    response["Content-Disposition"] = content_disposition_header(True, archive.filename)
    return with_consent_headers(response, archive.assets)


@buyer_required
@require_GET
def grant_list(request):
    """Everything the buyer holds a license for, newest first; taken-down ones say so."""
    page = Paginator(downloads.grants_of(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "web/licensing/grants.html", {"page": page})
