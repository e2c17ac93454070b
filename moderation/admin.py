from django.contrib import admin, messages
from django.utils.translation import ngettext

from common.admin import action_selection, thumbnail_img
from moderation import admin_review  # noqa: F401  (registers the review queue)
from moderation.flags import assets_restore, flags_decide
from moderation.models import ClassifierScore, Flag


@admin.register(ClassifierScore)
class ClassifierScoreAdmin(admin.ModelAdmin):
    """Scores are written by the classifiers only: read-only here."""

    list_display = ["asset", "classifier", "score", "over_threshold", "model_name",
                    "model_version", "scored_at"]  # fmt: skip
    list_filter = ["classifier", "over_threshold", "model_version"]
    list_select_related = ["asset"]
    raw_id_fields = ["asset"]
    search_fields = ["=asset__id"]
    date_hierarchy = "scored_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    """The flag queue: newest first, filtered by reason, state and age; a moderator
    dismisses flags or takes their assets down in bulk."""

    list_display = ["id", "thumbnail", "asset", "reason", "description", "reporter",
                    "state", "created_at"]  # fmt: skip
    list_filter = ["state", "reason", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["asset", "reporter"]
    search_fields = ["=asset__id", "reporter__username", "description"]
    ordering = ["-created_at"]
    readonly_fields = ["asset", "reporter", "reason", "description", "state", "decided_by",
                       "decided_at", "created_at"]  # fmt: skip
    actions = ["dismiss", "take_down", "restore"]

    @admin.display(description="image")
    def thumbnail(self, flag: Flag) -> str:
        return thumbnail_img(flag.asset_id, flag.asset.thumbnail_key, 64)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _decide(self, request, queryset, action: str) -> None:
        # Every ticked flag, also one decided meanwhile (out of an "open" filter): it is
        # named below with the state it is in.
        assets = dict(action_selection(self, request, queryset).values_list("pk", "asset_id"))
        result = flags_decide(flag_ids=list(assets), action=action, moderator=request.user)
        parts = [_count(result.decided, "flag decided", "flags decided")]
        if action == "take_down":
            parts.append(_count(result.taken_down, "asset taken down", "assets taken down"))
            if result.already_down:
                parts.append(
                    _count(result.already_down, "asset was down already",
                           "assets were down already")
                )  # fmt: skip
        level = messages.WARNING if result.not_open else messages.SUCCESS
        self.message_user(request, "; ".join(parts) + ".", level)
        for flag_id, state in sorted(result.not_open.items()):
            self.message_user(
                request,
                f"Flag {flag_id} (asset {assets[flag_id]}): already "
                f"{Flag.State(state).label.lower()}; nothing was done.",
                messages.WARNING,
            )

    @admin.action(description="Dismiss the selected flags", permissions=["change"])
    def dismiss(self, request, queryset) -> None:
        self._decide(request, queryset, "dismiss")

    @admin.action(description="Take the flagged assets down", permissions=["change"])
    def take_down(self, request, queryset) -> None:
        self._decide(request, queryset, "take_down")

    @admin.action(description="Restore the flagged assets (undo a takedown)",
                  permissions=["change"])  # fmt: skip
    def restore(self, request, queryset) -> None:
        ids = set(action_selection(self, request, queryset).values_list("asset_id", flat=True))
        restored = assets_restore(asset_ids=list(ids), moderator=request.user)
        self.message_user(request, _count(len(restored), "asset restored", "assets restored") + ".")
        for asset_id in sorted(ids - set(restored)):
            self.message_user(
                request,
                f"Asset {asset_id}: not taken down; there was nothing to restore.",
                messages.WARNING,
            )


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {ngettext(singular, plural, n)}"
