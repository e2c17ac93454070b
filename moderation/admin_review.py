"""The review queue in the admin: every asset waiting for a moderator on one list (flags,
classifier holds, ownership claims, embargoes past their end), oldest first, with the
image, scores and reasons; the page of one item shows its provenance, evidence, flags and
history. Decisions are bulk actions on the list, with an optional note."""

import json

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from catalog.models import AssetStatus
from common.admin import NoteActionForm, action_selection, thumbnail_img
from moderation.claims import claim_keeper
from moderation.decisions import Decision, assets_decide
from moderation.models import ClassifierScore, Flag, ReviewItem
from moderation.review import (
    FAR_FUTURE,
    WAITING,
    Reason,
    reason_condition,
    review_queue,
    waiting_longer_than,
)
from provenance.selectors import provenance_record, public_history

SHOWN = 20  # unchanged assets named one by one after a bulk decision; the rest are counted


class ReasonFilter(admin.SimpleListFilter):
    title = "reason"
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return [("all", "All waiting"), *Reason.choices]

    def choices(self, changelist):
        # "All waiting" is the default: no query string means the waiting reasons.
        for lookup, title in self.lookup_choices:
            selected = self.value() == lookup or (self.value() is None and lookup == "all")
            yield {
                "selected": selected,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() in Reason.values:
            return queryset.filter(reason_condition(self.value()))
        condition = reason_condition(WAITING[0])
        for reason in WAITING[1:]:
            condition |= reason_condition(reason)
        return queryset.filter(condition)


class AgeFilter(admin.SimpleListFilter):
    title = "waiting"
    parameter_name = "waiting"
    DAYS = {"1": 1, "7": 7, "30": 30}

    def lookups(self, request, model_admin):
        return [("1", "more than a day"), ("7", "more than a week"), ("30", "more than 30 days")]

    def queryset(self, request, queryset):
        if self.value() in self.DAYS:
            return waiting_longer_than(queryset, self.DAYS[self.value()])
        return queryset


def _pre(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


@admin.register(ReviewItem)
class ReviewQueueAdmin(admin.ModelAdmin):
    list_display = ["id", "thumbnail", "title", "reasons", "scores", "source", "license",
                    "status", "waiting"]  # fmt: skip
    list_display_links = ["id", "title"]
    list_filter = [ReasonFilter, AgeFilter, "source", "license"]
    search_fields = ["=id", "title", "creator"]
    show_full_result_count = False
    list_per_page = 50
    action_form = NoteActionForm
    actions = ["dismiss", "take_down", "mark_sensitive", "restore", "verify_ownership",
               "reject_ownership", "reject_license", "release_embargo"]  # fmt: skip
    fields = ["preview", "title", "creator", "source", "license", "status", "sensitive",
              "reasons", "score_detail", "provenance", "evidence", "flag_list", "ownership",
              "history"]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return review_queue(reasons=None)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Read-only page: decisions are taken with the form above it, not by editing.
        decisions = [(name, description) for name, (_, _, description)
                     in self.get_actions(request).items()]  # fmt: skip
        extra_context = {**(extra_context or {}), "decisions": decisions}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # --- the list --------------------------------------------------------------------

    @admin.display(description="image")
    def thumbnail(self, asset):
        return thumbnail_img(asset.pk, asset.thumbnail_key, 64)

    @admin.display(description="why it is here")
    def reasons(self, asset) -> str:
        found = []
        if asset.open_flags:
            n = asset.open_flags
            found.append(ngettext("%(n)d open flag", "%(n)d open flags", n) % {"n": n})
        if asset.has_claim:
            found.append("ownership claim")
        if asset.status == AssetStatus.HELD:
            found.append("classifier hold")
        if (
            asset.status == AssetStatus.EMBARGOED
            and (asset.embargo_until or FAR_FUTURE) <= timezone.now()
        ):
            found.append("embargo over")
        if asset.status == AssetStatus.TAKEN_DOWN:
            found.append("taken down")
        return ", ".join(found) or "-"

    @admin.display(description="scores")
    def scores(self, asset) -> str:
        parts = []
        if asset.nsfw_score is not None:
            parts.append(f"nudity {asset.nsfw_score:.2f}")
        if asset.face_count is not None:
            parts.append(f"faces {asset.face_count}")
        if asset.has_pii is not None:
            parts.append("personal data in text" if asset.has_pii else "no personal data")
        if asset.sensitive:
            parts.append("marked sensitive")
        return " · ".join(parts) or "not scored"

    @admin.display(description="waiting since", ordering="waiting_since")
    def waiting(self, asset):
        since = asset.waiting_since
        return "-" if since is None else since

    # --- one item ----------------------------------------------------------------------

    @admin.display(description="image")
    def preview(self, asset):
        return thumbnail_img(asset.pk, asset.thumbnail_key, 480)

    @admin.display(description="classifier scores")
    def score_detail(self, asset):
        rows = [
            (s.get_classifier_display(), f"{s.score:g}",
             "at or above the hold threshold" if s.over_threshold else "",
             f"{s.model_name} {s.model_version}", s.scored_at, json.dumps(s.details)[:300])
            for s in ClassifierScore.objects.filter(asset=asset).order_by("classifier",
                                                                          "-scored_at")
        ]  # fmt: skip
        if not rows:
            return "not scored yet"
        return format_html(
            "<table><tr><th>classifier</th><th>score</th><th></th><th>model</th>"
            "<th>scored</th><th>details</th></tr>{}</table>",
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                "<td><code>{}</code></td></tr>", rows,
            ),
        )  # fmt: skip

    def _record(self, asset):
        # Two fields show the record: read it once per page.
        if not hasattr(asset, "_provenance_record"):
            asset._provenance_record = provenance_record(asset.pk)
        return asset._provenance_record

    @admin.display(description="provenance")
    def provenance(self, asset):
        record = self._record(asset)
        if record is None:
            return "no provenance record"
        return format_html(
            "{} · record <a href='{}' rel='noreferrer'>{}</a> · license {} ({}) · "
            "retrieved {} · cloned {} · sha256 {}",
            record.institution or record.source, record.record_url or "#",
            record.source_record_id, record.license or "none", record.decision,
            record.retrieved_at, record.cloned_at or "not yet", record.sha256 or "-",
        )  # fmt: skip

    @admin.display(description="license evidence (as the source gave it)")
    def evidence(self, asset):
        record = self._record(asset)
        return _pre(record.evidence) if record else "-"

    @admin.display(description="flags")
    def flag_list(self, asset):
        flags = Flag.objects.filter(asset=asset).select_related("reporter").order_by("-pk")
        rows = [(f.get_state_display(), f.get_reason_display(), f.description or "",
                 f.reporter.get_username(), f.created_at) for f in flags[:50]]  # fmt: skip
        if not rows:
            return "none"
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}: {} “{}” by {} on {}</li>", rows),
        )

    @admin.display(description="ownership")
    def ownership(self, asset):
        keeper = claim_keeper()
        described = keeper.describe(asset.pk) if keeper else None
        return described or "base-set item (no owner claims it)"

    @admin.display(description="history (audit log)")
    def history(self, asset):
        rows = [(e.created_at, e.get_kind_display(), e.reason, e.actor)
                for e in public_history(asset.pk)]  # fmt: skip
        if not rows:
            return "-"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} {} {} ({})</li>", rows))

    # --- decisions ---------------------------------------------------------------------

    def _decide(self, request, queryset, decision: str) -> None:
        # Every ticked asset, also one another moderator's decision took out of the filter
        # meanwhile: the decision applies to it as it is now, or says why not.
        titles = dict(action_selection(self, request, queryset).values_list("pk", "title"))
        report = assets_decide(
            asset_ids=list(titles),
            decision=decision,
            moderator=request.user,
            note=request.POST.get("note", ""),
        )
        level = messages.WARNING if report.unchanged else messages.SUCCESS
        self.message_user(request, report.summary() + ".", level)
        unchanged = sorted(report.unchanged.items())
        for asset_id, why in unchanged[:SHOWN]:
            title = titles.get(asset_id) or "untitled"
            self.message_user(
                request,
                f"Asset {asset_id} ({title}): {why.rstrip('.')}; nothing was done.",
                messages.WARNING,
            )
        if len(unchanged) > SHOWN:
            more = len(unchanged) - SHOWN
            self.message_user(
                request,
                ngettext(
                    "%(n)d more asset was left as it was, for the reasons counted above.",
                    "%(n)d more assets were left as they were, for the reasons counted above.",
                    more,
                )
                % {"n": more},
                messages.WARNING,
            )

    @admin.action(description="Dismiss: nothing wrong (close flags, clear holds)",
                  permissions=["change"])  # fmt: skip
    def dismiss(self, request, queryset):
        self._decide(request, queryset, Decision.DISMISS)

    @admin.action(description="Take down everywhere", permissions=["change"])
    def take_down(self, request, queryset):
        self._decide(request, queryset, Decision.TAKE_DOWN)

    @admin.action(description="Mark sensitive (and publish if held)", permissions=["change"])
    def mark_sensitive(self, request, queryset):
        self._decide(request, queryset, Decision.MARK_SENSITIVE)

    @admin.action(description="Restore (undo a takedown)", permissions=["change"])
    def restore(self, request, queryset):
        self._decide(request, queryset, Decision.RESTORE)

    @admin.action(description="Verify ownership (accept the claim)", permissions=["change"])
    def verify_ownership(self, request, queryset):
        self._decide(request, queryset, Decision.VERIFY_OWNERSHIP)

    @admin.action(description="Reject ownership (note required)", permissions=["change"])
    def reject_ownership(self, request, queryset):
        self._decide(request, queryset, Decision.REJECT_OWNERSHIP)

    @admin.action(description="Reject license (base-set item)", permissions=["change"])
    def reject_license(self, request, queryset):
        self._decide(request, queryset, Decision.REJECT_LICENSE)

    @admin.action(description="Release embargo: re-check at the source now",
                  permissions=["change"])  # fmt: skip
    def release_embargo(self, request, queryset):
        self._decide(request, queryset, Decision.RELEASE_EMBARGO)
