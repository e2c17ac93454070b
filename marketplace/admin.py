from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from marketplace import admin_works  # noqa: F401 - registers the works' admin
from marketplace.models import User

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
