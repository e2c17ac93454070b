from django.contrib import admin
from django.core.files.storage import default_storage
from django.utils.html import format_html

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
    class Media:
        css = {"all": ["moderation/admin.css"]}

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
        key = flag.asset.thumbnail_key
        if not key:
            return "-"
        return format_html(
            '<img src="{}" class="moderation-thumbnail" alt="">', default_storage.url(key)
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _decide(self, request, queryset, action: str) -> None:
        counts = flags_decide(
            flag_ids=list(queryset.values_list("pk", flat=True)), action=action,
            moderator=request.user,
        )  # fmt: skip
        self.message_user(
            request,
            f"{counts['decided']} flag(s) decided; {counts['taken_down']} asset(s) taken down"
            + (f", {counts['already_down']} were already down" if counts["already_down"] else "")
            + ".",
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
        ids = set(queryset.values_list("asset_id", flat=True))
        restored = assets_restore(asset_ids=list(ids), moderator=request.user)
        self.message_user(request, f"{restored} asset(s) restored.")
