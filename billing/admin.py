"""Billing in the admin: the ledger is read-only; staff may only lift a wallet freeze,
resend pending payouts and re-apply Stripe events that failed."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils.translation import ngettext

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
from billing.payouts import payout_send
from billing.services import accounts_unfreeze
from billing.webhooks import event_process
from common.admin import NoteActionForm, ReadOnlyAdmin, action_selection  # written by services only
from common.money import usd


def _count(n: int, noun: str) -> str:
    """`1 account`, `2 accounts`."""
    return f"{n} {ngettext(noun, noun + 's', n)}"


def _account(account: Account) -> str:
    owner = f" of {account.owner.get_username()}" if account.owner_id else ""
    return f"Account {account.pk} ({account.get_kind_display().lower()}{owner})"


def _payout(payout: Payout) -> str:
    return f"Payout {payout.pk} ({payout.batch}, to {payout.rights_holder.get_username()})"


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
    action_form = NoteActionForm

    @admin.action(description="Lift the freeze on selected wallets", permissions=["unfreeze"])
    def unfreeze(self, request, queryset: QuerySet[Account]) -> None:
        accounts = {a.pk: a for a in action_selection(self, request, queryset)}
        lifted = accounts_unfreeze(
            account_ids=list(accounts), staff=request.user, note=request.POST.get("note", "")
        )
        self.message_user(request, f"Lifted the freeze on {_count(len(lifted), 'account')}.")
        for pk in sorted(set(accounts) - set(lifted)):
            self.message_user(
                request, f"{_account(accounts[pk])}: not frozen; nothing to lift.",
                messages.WARNING,
            )  # fmt: skip

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
        payouts = list(action_selection(self, request, queryset).select_related("rights_holder"))
        pending = [p for p in payouts if p.state == Payout.State.PENDING]
        for payout in payouts:
            if payout.state != Payout.State.PENDING:
                self.message_user(
                    request,
                    f"{_payout(payout)}: {payout.get_state_display().lower()}, not pending; "
                    "nothing to send.",
                    messages.WARNING,
                )
        if not pending:
            return
        sent = [payout_send(p) for p in pending]
        done = sum(p.state != Payout.State.PENDING for p in sent)
        self.message_user(
            request, f"{done} of {_count(len(sent), 'pending payout')} went out or failed."
        )
        for payout in sent:
            if payout.state == Payout.State.PENDING:
                self.message_user(
                    request,
                    f"{_payout(payout)}: still pending (Stripe could not be reached); the next "
                    "run tries again.",
                    messages.WARNING,
                )

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
        applied = 0
        for event in action_selection(self, request, queryset).order_by("pk"):
            if event.processed_at:
                self.message_user(
                    request,
                    f"Event {event.event_id}: applied already on "
                    f"{event.processed_at:%Y-%m-%d %H:%M} UTC; nothing was done.",
                    messages.WARNING,
                )
                continue
            try:
                applied += event_process(event.pk)
            except Exception as error:  # shown to staff; the event keeps its error
                self.message_user(request, f"Event {event.event_id}: {error}", messages.ERROR)
        if applied:
            self.message_user(request, f"Applied {_count(applied, 'event')}.")

    def has_reprocess_permission(self, request) -> bool:
        return request.user.has_perm("billing.change_stripeevent")
