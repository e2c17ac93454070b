"""Offering a work (the terms in full, the price with the fee and what a buyer pays, the
uses allowed) and declaring its ownership with evidence files."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from common.errors import DomainError
from marketplace import declarations, offers, selectors
from marketplace.web.access import rights_holder_required
from marketplace.web.forms import UsdAmountField, add_domain_error
from marketplace.web.works import owned_work


class OfferForm(forms.Form):
    price_usd = UsdAmountField(
        label="Your price per download (USD)",
        help_text="You keep all of it. 0 is allowed: buyers then pay the platform fee only.",
    )
    allow_research = forms.BooleanField(label="Research", required=False)
    allow_commercial = forms.BooleanField(label="Commercial use", required=False)
    terms_version = forms.CharField(widget=forms.HiddenInput)
    accept_terms = forms.BooleanField(
        label="I have read the training license above and offer my work under it.",
        error_messages={"required": "Accept the license to offer the work."},
    )

    def clean(self):
        data = super().clean()
        if not (data.get("allow_research") or data.get("allow_commercial")):
            self.add_error(None, "Allow at least one use: research or commercial.")
        return data


@rights_holder_required
@require_http_methods(["GET", "POST"])
def work_offer(request, work_id: int):
    work = owned_work(request, work_id)
    terms = offers.current_terms()
    current = work.current_offers[0] if work.current_offers else None
    initial = {"terms_version": terms.version, "allow_research": True}
    if current:
        initial.update(
            price_usd=f"{current.price_micros / 1_000_000:f}".rstrip("0").rstrip("."),
            allow_research=current.allow_research,
            allow_commercial=current.allow_commercial,
        )
    form = OfferForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            offers.offer_set(
                owner=request.user,
                work_id=work.pk,
                price_micros=data["price_usd"],
                allow_research=data["allow_research"],
                allow_commercial=data["allow_commercial"],
                terms_version=data["terms_version"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _offered_message(request.user, work.pk, bool(current)))
            return redirect("web:work", work_id=work.pk)
    price = form.cleaned_data.get("price_usd") if form.is_bound and form.is_valid() else None
    if price is None and current:
        price = current.price_micros
    context = {
        "work": work,
        "terms": terms,
        "form": form,
        "current": current,
        "preview": selectors.price_breakdown(price) if price is not None else None,
        "fee": selectors.price_breakdown(0).fee_micros,
        "max_price_usd": settings.OFFER_MAX_PRICE_MICROS // 1_000_000,
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "web/works/offer.html", context, status=status)


def _offered_message(owner, work_id: int, changed: bool) -> str:
    work = selectors.works_for_page(owner).get(pk=work_id)
    state = selectors.work_state(work)
    done = "The new price applies to licenses bought from now on." if changed else "Offered."
    return f"{done} {state.label}: {state.why}"


@rights_holder_required
@require_GET
def price_preview(request):
    """The fee and what a buyer pays, as the price is typed (an htmx fragment)."""
    field = UsdAmountField(required=False)
    try:
        price = field.clean(request.GET.get("price_usd", ""))
        error = ""
    except forms.ValidationError as invalid:
        price, error = None, invalid.messages[0]
    if price is not None and price > settings.OFFER_MAX_PRICE_MICROS:
        price, error = None, "That is above the highest price allowed."
    preview = selectors.price_breakdown(price) if price is not None else None
    context = {"preview": preview, "error": error, "fee": selectors.price_breakdown(0).fee_micros}
    return render(request, "web/works/_price.html", context)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    def clean(self, data, initial=None):
        single = super().clean
        return (
            [single(item, initial) for item in data]
            if isinstance(data, list)
            else ([single(data, initial)] if data else [])
        )


class DeclarationForm(forms.Form):
    statement = forms.CharField(
        label="How do you own this work?",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="For example: “I painted it in 2021 and hold all rights to it.”",
    )
    evidence = EvidenceField(
        label="Evidence (optional)",
        required=False,
        widget=MultipleFileInput(),
        help_text=f"Up to {settings.EVIDENCE_MAX_FILES} files of any kind: sketches, the "
        "original file, a contract. Only moderators see them.",
    )


@rights_holder_required
@require_http_methods(["GET", "POST"])
def work_declare(request, work_id: int):
    work = owned_work(request, work_id)
    form = DeclarationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        evidence = [declarations.EvidenceFile(f.name, f) for f in form.cleaned_data["evidence"]]
        try:
            declaration = declarations.declaration_make(
                owner=request.user,
                work_id=work.pk,
                statement=form.cleaned_data["statement"],
                evidence=evidence,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if declaration.state == declaration.State.ACCEPTED:
                messages.success(request, "Your ownership is accepted (you are trusted).")
            else:
                messages.success(
                    request,
                    "Declaration sent. A moderator reviews it; you get a notification when "
                    "it is decided.",
                )
            return redirect("web:work", work_id=work.pk)
    context = {
        "work": work,
        "form": form,
        "declaration": work.newest_declarations[0] if work.newest_declarations else None,
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "web/works/declare.html", context, status=status)
