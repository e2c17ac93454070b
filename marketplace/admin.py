from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import BigIntegerField, F, Func
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html_join
from django.utils.translation import ngettext

from common.admin import NoteActionForm, ReadOnlyAdmin, action_selection
from marketplace import admin_works  # noqa: F401 - registers the works' admin
from marketplace.models import (
    ApiToken,
    DownloadGrant,
    ManifestExport,
    Receipt,
    ReceiptKey,
    Revocation,
    ShardExport,
    TermsVersion,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from marketplace.offers import terms_make_current
from marketplace.tokens import token_revoke
from marketplace.webhooks import webhook_redeliver

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


class ExportAdmin(ReadOnlyAdmin):
    """What the admins of buyers' exports share: found by buyer, by date."""

    search_fields = ["buyer__username", "buyer__email"]
    list_select_related = ["buyer", "collection"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="grants named one by one")
    def named_grants(self, obj: ManifestExport | ShardExport) -> str:
        return str(len(obj.grant_ids)) if obj.grant_ids else "- (a collection, or all grants)"


@admin.register(ManifestExport)
class ManifestExportAdmin(ExportAdmin):
    """Buyers' manifests (JSON Lines or Parquet lists of licensed files with signed links):
    who asked for what and when, and how many rows went in."""

    list_display = ["id", "buyer", "format", "state", "collection", "rows", "skipped",
                    "created_at", "finished_at", "expired_at"]  # fmt: skip
    list_filter = ["state", "format", "created_at"]
    fields = ["buyer", "format", "state", "collection", "named_grants", "rows", "skipped",
              "error", "created_at", "finished_at", "links_expire_at", "renewed_at",
              "expired_at", "file_key"]  # fmt: skip
    readonly_fields = fields


@admin.register(ShardExport)
class ShardExportAdmin(ExportAdmin):
    """Buyers' WebDataset shard exports: who asked for what, when, and what went in (each
    delivered asset is in the audit log too, `download.sharded`). The shards' samples (rows
    of their own) and the build plan are not shown: they can hold millions of entries."""

    list_display = ["id", "buyer", "state", "collection", "assets", "skipped", "shard_count",
                    "created_at", "finished_at", "expired_at"]  # fmt: skip
    list_filter = ["state", "created_at"]
    fields = ["buyer", "state", "collection", "named_grants", "assets", "skipped",
              "max_shard_bytes", "error", "created_at", "finished_at", "expired_at",
              "index_key", "shard_list"]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            shard_total=Func(F("shards"), function="jsonb_array_length",
                             output_field=BigIntegerField())
        )  # fmt: skip

    @admin.display(description="shards", ordering="shard_total")
    def shard_count(self, obj: ShardExport) -> int:
        return obj.shard_total

    @admin.display(description="shards written")
    def shard_list(self, obj: ShardExport) -> str:
        if not obj.shards:
            return "-"
        return format_html_join(
            "", "<div><code>{}</code>: {} samples, {}, SHA-256 <code>{}</code></div>",
            ((s["name"], s["sample_count"], filesizeformat(s["size"]), s["sha256"])
             for s in obj.shards),
        )  # fmt: skip


# --- what reaches buyers after a license: the feed, webhooks, receipts ---------------------


@admin.register(Revocation)
class RevocationAdmin(ReadOnlyAdmin):
    """Buyers' revocations feed entries (written by takedowns and withdrawals)."""

    list_display = ["id", "occurred_at", "buyer", "asset_id", "kind", "reason_class",
                    "still_valid"]  # fmt: skip
    list_filter = ["kind", "reason_class"]
    search_fields = ["=asset__id", "buyer__username"]
    list_select_related = ["buyer"]
    show_full_result_count = False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Buyers' endpoints. Staff may switch one off (a receiver that fails for days); the
    secret is never shown."""

    list_display = ["id", "url", "owner", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "owner__username"]
    list_select_related = ["owner"]
    exclude = ["secret"]
    readonly_fields = ["owner", "url", "description", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempted_at", "status_code", "error", "duration_ms", "next_attempt_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: each event to each endpoint, its state, and every try (time,
    status code, error, next try)."""

    list_display = ["id", "event_id", "endpoint", "state", "attempts", "last_status_code",
                    "last_error", "next_attempt_at", "created_at"]  # fmt: skip
    list_filter = ["state"]
    search_fields = ["event_id", "endpoint__url", "endpoint__owner__username"]
    list_select_related = ["endpoint"]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]
    show_full_result_count = False

    def has_redeliver_permission(self, request) -> bool:
        return request.user.is_staff

    @admin.action(description="Send the selected deliveries again now", permissions=["redeliver"])
    def redeliver(self, request, queryset) -> None:
        count = webhook_redeliver(
            delivery_ids=list(action_selection(self, request, queryset).values_list("pk",
                                                                                     flat=True))
        )  # fmt: skip
        self.message_user(
            request,
            ngettext("%d delivery queued again.", "%d deliveries queued again.", count) % count,
        )


@admin.register(ReceiptKey)
class ReceiptKeyAdmin(ReadOnlyAdmin):
    """The keys that sign license receipts (public halves; rotate with `manage.py
    rotate_receipt_key`)."""

    list_display = ["key_id", "valid_from", "valid_until", "public_key"]
    exclude = ["private_key_encrypted"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["receipt_id", "buyer", "issued_at", "key"]
    search_fields = ["=receipt_id", "buyer__username"]
    list_select_related = ["buyer", "key"]
    show_full_result_count = False
