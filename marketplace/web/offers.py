"""Offering a work (the terms in full, the price with the fee and what a buyer pays, the
uses allowed) and declaring its ownership with evidence files."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from common.errors import DomainError
from marketplace import declarations, offers, selectors
from marketplace.models import Use
from marketplace.templatetags.site import in_a_sentence
from marketplace.web.access import rights_holder_required
from marketplace.web.forms import UsdAmountField, add_domain_error
from marketplace.web.works import owned_work

USE_HELP = {
    Use.DATA_MINING: "Extracting patterns, trends and correlations from your work.",
    Use.AI_INFERENCE: "Giving your work to a trained model as input, to produce an answer "
    "(a style reference, say).",
    Use.AI_GENERATIVE_TRAINING: "Training models that make images, text or other content.",
    Use.AI_TRAINING: "Training models that do not make content: classifiers, search, recognition.",
}


class OfferForm(forms.Form):
    """Per use: allowed or not, and its price. The purposes and the terms as before."""

    allow_research = forms.BooleanField(label="Research", required=False)
    allow_commercial = forms.BooleanField(label="Commercial use", required=False)
    terms_version = forms.CharField(widget=forms.HiddenInput)
    accept_terms = forms.BooleanField(
        label="I have read the training license above and offer my work under it.",
        error_messages={"required": "Accept the license to offer the work."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for use, label in Use.choices:
            words = in_a_sentence(label)
            self.fields[f"allow_{use}"] = forms.BooleanField(label=f"Allow {words}", required=False)
            self.fields[f"price_{use}"] = UsdAmountField(
                label=f"Your price for {words} (USD)", required=False
            )

    def clean(self):
        data = super().clean()
        uses = {}
        for use, label in Use.choices:
            if not data.get(f"allow_{use}"):
                continue
            price = data.get(f"price_{use}")
            if price is None:
                if f"price_{use}" not in self.errors:
                    self.add_error(
                        f"price_{use}", f"Set a price for {label.lower()}, or untick it."
                    )
                continue
            uses[use] = price
        if not any(data.get(f"allow_{use}") for use in Use.values):
            self.add_error(None, "Allow at least one use.")
        if not (data.get("allow_research") or data.get("allow_commercial")):
            self.add_error(None, "Allow at least one purpose: research or commercial.")
        data["uses"] = uses
        return data

    def use_rows(self) -> list[dict]:
        """Per use: its name, what it means, its two fields and its price preview."""
        fee = selectors.price_breakdown(0).fee_micros
        rows = []
        for use, label in Use.choices:
            price_field = self[f"price_{use}"]
            if self.is_bound:
                price = getattr(self, "cleaned_data", {}).get(f"price_{use}")
            else:
                price = self.initial.get(f"price_micros_{use}")
            rows.append({
                "use": use, "label": label, "help": USE_HELP[use],
                "allow": self[f"allow_{use}"], "price": price_field,
                "preview": selectors.price_breakdown(price) if price is not None else None,
                "fee": fee,
            })  # fmt: skip
        return rows


def _usd_input(micros: int) -> str:
    return f"{micros / 1_000_000:f}".rstrip("0").rstrip(".")


@rights_holder_required
@require_http_methods(["GET", "POST"])
def work_offer(request, work_id: int):
    work = owned_work(request, work_id)
    terms = offers.current_terms()
    current = work.current_offers[0] if work.current_offers else None
    initial = {"terms_version": terms.version, "allow_research": True}
    if current:
        initial.update(allow_research=current.allow_research,
                       allow_commercial=current.allow_commercial)  # fmt: skip
        for use, price in selectors.offer_uses(current).items():
            initial.update({f"allow_{use}": True, f"price_{use}": _usd_input(price),
                            f"price_micros_{use}": price})  # fmt: skip
    form = OfferForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            offers.offer_set(
                owner=request.user,
                work_id=work.pk,
                uses=data["uses"],
                allow_research=data["allow_research"],
                allow_commercial=data["allow_commercial"],
                terms_version=data["terms_version"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _offered_message(request.user, work.pk, bool(current)))
            return redirect("web:work", work_id=work.pk)
    context = {
        "work": work,
        "terms": terms,
        "form": form,
        "current": current,
        "use_rows": form.use_rows(),
        "fee": selectors.price_breakdown(0).fee_micros,
        "max_price_usd": settings.OFFER_MAX_PRICE_MICROS // 1_000_000,
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "web/works/offer.html", context, status=status)


def _offered_message(owner, work_id: int, changed: bool) -> str:
    work = selectors.works_for_page(owner).get(pk=work_id)
    state = selectors.work_state(work)
    done = (
        "The new uses and prices apply to licenses bought from now on." if changed else "Offered."
    )
    return f"{done} {state.label}: {state.why}"


@rights_holder_required
@require_GET
def price_preview(request):
    """The fee and what a buyer pays, as a price is typed (an htmx fragment). The price comes
    as `price_usd` or as one use's `price_<use>` field."""
    field = UsdAmountField(required=False)
    typed = next((v for k, v in request.GET.items() if k.startswith("price_")), "")
    try:
        price = field.clean(typed)
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
