from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from marketplace import admin_works  # noqa: F401 - registers the works' admin
from marketplace.models import DownloadGrant, TermsVersion, User
from marketplace.offers import terms_make_current
from provenance.admin import ReadOnlyAdmin, action_selection

admin.site.site_header = "Opt-in media marketplace"
admin.site.site_title = "Marketplace admin"
admin.site.index_title = "Catalog, accounts and moderation"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "role_names", "is_staff", "is_active", "date_joined"]
    list_filter = ["groups", "is_staff", "is_active"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def role_names(self, obj: User) -> str:
        return ", ".join(obj.roles) or "-"


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    """Publishing a new version: add it, then make it current. A published text never
    changes, since grants point at it."""

    list_display = ["version", "title", "current", "published_at"]
    actions = ["make_current"]

    def get_readonly_fields(self, request, obj=None):
        return ["version", "title", "text", "current"] if obj else ["current"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Make the selected version the one new offers accept")
    def make_current(self, request, queryset) -> None:
        chosen = list(action_selection(self, request, queryset))
        if len(chosen) != 1:
            self.message_user(
                request,
                f"Select exactly one version ({len(chosen)} selected); nothing was changed.",
                messages.ERROR,
            )
            return
        [version] = chosen
        if version.current:
            self.message_user(
                request, f"Version {version.version} is the current one already.", messages.INFO
            )
            return
        terms_make_current(version_id=version.pk)
        self.message_user(request, f"Version {version.version} is now current.")


@admin.register(DownloadGrant)
class DownloadGrantAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "buyer", "asset_id", "license", "price_micros",
                    "purpose"]  # fmt: skip
    list_filter = ["license", "purpose"]
    search_fields = ["=asset__id", "buyer__username"]
    list_select_related = ["buyer"]
    show_full_result_count = False
