from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import ngettext

from common.admin import NoteActionForm, ReadOnlyAdmin, action_selection
from marketplace import admin_works  # noqa: F401 - registers the works' admin
from marketplace.models import ApiToken, DownloadGrant, TermsVersion, User
from marketplace.offers import terms_make_current
from marketplace.tokens import token_revoke

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
    action_form = NoteActionForm

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
        terms_make_current(
            version_id=version.pk, staff=request.user, note=request.POST.get("note", "")
        )
        self.message_user(request, f"Version {version.version} is now current.")


@admin.register(DownloadGrant)
class DownloadGrantAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "buyer", "asset_id", "license", "use", "price_micros",
                    "purpose"]  # fmt: skip
    list_filter = ["license", "use", "purpose"]
    search_fields = ["=asset__id", "buyer__username"]
    list_select_related = ["buyer"]
    show_full_result_count = False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Accounts' API tokens (never the tokens themselves: only their hash is stored), for
    finding and revoking a leaked one."""

    list_display = ["prefix", "name", "user", "scope", "created_at", "expires_at",
                    "last_used_at", "revoked_at"]  # fmt: skip
    list_filter = ["scope"]
    search_fields = ["=prefix", "user__username", "name"]
    list_select_related = ["user"]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_revoke_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        revoked = 0
        for token in queryset.select_related("user").filter(revoked_at__isnull=True):
            token_revoke(user=token.user, token_id=token.pk)
            revoked += 1
        self.message_user(
            request,
            ngettext("%d token revoked.", "%d tokens revoked.", revoked) % revoked
            if revoked
            else "The selected tokens were revoked already.",
        )
