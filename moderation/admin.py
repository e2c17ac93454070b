from django.contrib import admin

from moderation.models import ClassifierScore


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
