"""Billing in the admin: the ledger is read-only; staff may only lift a wallet freeze,
resend pending payouts and re-apply Stripe events that failed."""

from django.contrib import admin, messages
from django.db.models import QuerySet

from billing.models import (
    Account,
    ConnectAccount,
    LedgerTransaction,
    Payout,
    Posting,
    StripeEvent,
    Subscription,
    TopUp,
)
from billing.money import usd
from billing.payouts import payout_send
from billing.webhooks import event_process
from provenance.admin import ReadOnlyAdmin  # written by services only, shown here


@admin.display(description="balance (USD)", ordering="balance_micros")
def balance_usd(account: Account) -> str:
    return usd(account.balance_micros)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "owner", balance_usd, "frozen", "created_at"]
    list_filter = ["kind", "frozen"]
    search_fields = ["owner__username", "owner__email"]
    list_select_related = ["owner"]
    actions = ["unfreeze"]

    @admin.action(description="Lift the freeze on selected wallets", permissions=["unfreeze"])
    def unfreeze(self, request, queryset: QuerySet[Account]) -> None:
        count = queryset.filter(frozen=True).update(frozen=False, frozen_reason="")
        self.message_user(request, f"Lifted the freeze on {count} account(s).")

    def has_unfreeze_permission(self, request) -> bool:
        return request.user.has_perm("billing.change_account")


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ["account", "amount_usd", "reference"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="amount (USD)")
    def amount_usd(self, posting: Posting) -> str:
        return usd(posting.amount_micros)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "kind", "memo", "idempotency_key"]
    list_filter = ["kind"]
    search_fields = ["=idempotency_key", "memo", "postings__reference"]
    date_hierarchy = "created_at"
    inlines = [PostingInline]
    show_full_result_count = False


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = ["checkout_session_id", "buyer", "amount", "state", "sandbox", "created_at"]
    list_filter = ["state", "sandbox"]
    search_fields = ["=checkout_session_id", "=payment_intent_id", "buyer__username"]
    list_select_related = ["buyer"]

    @admin.display(description="amount (USD)")
    def amount(self, top_up: TopUp) -> str:
        return usd(top_up.amount_micros)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["id", "batch", "rights_holder", "amount", "state", "stripe_transfer_id"]
    list_filter = ["state", "batch"]
    search_fields = ["rights_holder__username", "=stripe_transfer_id"]
    list_select_related = ["rights_holder"]
    actions = ["resend"]

    @admin.display(description="amount (USD)")
    def amount(self, payout: Payout) -> str:
        return usd(payout.amount_micros)

    @admin.action(description="Send pending transfers again", permissions=["resend"])
    def resend(self, request, queryset: QuerySet[Payout]) -> None:
        sent = [payout_send(p) for p in queryset.filter(state=Payout.State.PENDING)]
        done = sum(p.state != Payout.State.PENDING for p in sent)
        self.message_user(request, f"{done} of {len(sent)} pending payout(s) went out or failed.")

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("billing.change_payout")


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["buyer", "status", "current_period_end", "cancel_at_period_end", "sandbox"]
    list_filter = ["status", "sandbox"]
    search_fields = ["buyer__username", "=stripe_customer_id", "=stripe_subscription_id"]


@admin.register(ConnectAccount)
class ConnectAccountAdmin(ReadOnlyAdmin):
    list_display = ["rights_holder", "stripe_account_id", "payouts_enabled", "details_submitted"]
    list_filter = ["payouts_enabled"]
    search_fields = ["rights_holder__username", "=stripe_account_id"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "received_at", "processed_at", "attempts", "error"]
    list_filter = ["type", ("processed_at", admin.EmptyFieldListFilter)]
    search_fields = ["=event_id"]
    actions = ["reprocess"]

    @admin.action(description="Apply selected unprocessed events now", permissions=["reprocess"])
    def reprocess(self, request, queryset: QuerySet[StripeEvent]) -> None:
        for event in queryset.filter(processed_at__isnull=True):
            try:
                event_process(event.pk)
            except Exception as error:
                self.message_user(request, f"{event.event_id}: {error}", messages.ERROR)

    def has_reprocess_permission(self, request) -> bool:
        return request.user.has_perm("billing.change_stripeevent")
