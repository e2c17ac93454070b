"""Earnings and usage: the dashboard with its charts, the usage history from the audit log,
the CSV export, and payouts (Connect onboarding, balance, holds, past payouts)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from billing.selectors import payout_overview, sandbox_enabled
from billing.services import connect_onboarding_url
from catalog.models import USE_LABELS
from common.errors import DomainError
from common.money import usd_text
from marketplace import selectors
from marketplace.usage import usage_csv, usage_history, usage_report
from marketplace.web.access import rights_holder_required
from marketplace.web.charts import day_columns, labelled_rows
from provenance.models import EventKind

PURPOSE_PATTERNS = {"research": "pattern-dots", "commercial": "pattern-stripes"}


@rights_holder_required
@require_GET
def dashboard(request):
    report = usage_report(request.user)
    days = selectors.usage_by_day(request.user, days=30)
    purposes: dict[str, int] = {}
    for work in report.works:
        for purpose, n in work.purposes.items():
            purposes[purpose] = purposes.get(purpose, 0) + n
    uses: dict[str, list[int]] = {}
    for work in report.works:
        for use, n in work.uses.items():
            counted = uses.setdefault(use, [0, 0])
            counted[0] += n
            counted[1] += work.earned_by_use_micros.get(use, 0)
    ranked = sorted(report.works, key=lambda w: (-w.downloads, w.work_id))[:10]
    context = {
        "report": report,
        "totals": report.totals,
        "downloads_chart": day_columns(days, lambda d: d.downloads),
        "earnings_chart": day_columns(days, lambda d: d.earned_micros, fmt=usd_text),
        "works_chart": labelled_rows(
            [
                (
                    w.title or f"Work {w.work_id}",
                    w.downloads,
                    f"{w.downloads} download{'s' if w.downloads != 1 else ''}, "
                    f"{usd_text(w.earned_micros)}",
                    "",
                )
                for w in ranked
            ]
        ),
        "purposes_chart": labelled_rows(
            [
                (
                    p.capitalize(),
                    n,
                    f"{n} license{'s' if n != 1 else ''}",
                    PURPOSE_PATTERNS.get(p, ""),
                )
                for p, n in sorted(purposes.items())
            ]
        ),
        "uses_chart": labelled_rows(
            [
                (
                    USE_LABELS.get(use, "Training license (before uses)"),
                    n,
                    f"{n} license{'s' if n != 1 else ''}, {usd_text(earned)}",
                    "",
                )
                for use, (n, earned) in sorted(uses.items())
            ]
        ),
        "days": days,
        "has_downloads": report.totals["downloads"] > 0,
        "usd": usd_text,
    }
    return render(request, "web/earnings/dashboard.html", context)


class HistoryFilterForm(forms.Form):
    work = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Work")
    kind = forms.ChoiceField(required=False, label="What happened")
    since = forms.DateField(required=False, label="From",
                            widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    until = forms.DateField(required=False, label="To",
                            widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip

    def __init__(self, *args, works=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["work"].choices = [("", "All works"), *works]
        self.fields["kind"].choices = [("", "Everything"), *EventKind.choices]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "Choose a day on or after the first one.")
        return data


@rights_holder_required
@require_GET
def history(request):
    works = [
        (w.pk, w.asset.title or f"Work {w.pk}") for w in selectors.works_for_page(request.user)
    ]
    form = HistoryFilterForm(request.GET or None, works=works)
    rows = []
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        try:
            rows = usage_history(
                owner=request.user,
                work_id=data.get("work"),
                kind=data.get("kind") or None,
                since=data.get("since"),
                until=data.get("until"),
            )
        except DomainError as error:
            raise Http404(error.message) from error
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    titles = dict(works)
    labels = dict(EventKind.choices)
    entries = [
        {
            **row,
            "title": titles.get(row["work_id"], ""),
            "label": labels.get(row["kind"], row["kind"]),
        }
        for row in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "entries": entries, "query": query.urlencode(),
               "usd": usd_text}  # fmt: skip
    template = "web/earnings/_history.html" if request.htmx else "web/earnings/history.html"
    return render(request, template, context, status=400 if form.errors else 200)


@rights_holder_required
@require_GET
def usage_export(request):
    response = HttpResponse(usage_csv(request.user), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="usage.csv"'
    return response


@rights_holder_required
@require_GET
def payouts(request):
    context = {"overview": payout_overview(request.user), "sandbox": sandbox_enabled(),
               "usd": usd_text}  # fmt: skip
    return render(request, "web/earnings/payouts.html", context)


@rights_holder_required
@require_POST
def payouts_onboarding(request):
    """Start (or continue) Stripe Connect onboarding on Stripe's page (in the demo, the
    sandbox's page), which sends the rights holder back to their payouts page."""
    here = request.build_absolute_uri(reverse("web:payouts"))
    try:
        url = connect_onboarding_url(rights_holder=request.user, return_url=here, refresh_url=here)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:payouts")
    return redirect(url)
