from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_role_groups(sender, **kwargs) -> None:
    from marketplace.accounts import role_groups_sync

    role_groups_sync()


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        # After every migrate (when Django has created the permissions), not in a migration:
        # the permission rows do not exist yet while migrations run.
        post_migrate.connect(_sync_role_groups, dispatch_uid="marketplace.role_groups")
        # The catalog announces takedowns, restores and cleared holds; it may not call the
        # marketplace.
        from catalog.signals import (
            asset_hold_cleared,
            asset_restoring,
            asset_taken_down,
            asset_taking_down,
        )
        from marketplace.notifications import on_asset_taken_down
        from marketplace.offers import on_asset_hold_cleared
        from marketplace.revocations import on_asset_restoring, on_asset_taking_down

        asset_taken_down.connect(on_asset_taken_down, dispatch_uid="marketplace.takedowns")
        # Buyers' revocations feed: written in the takedown's own transaction.
        asset_taking_down.connect(on_asset_taking_down, dispatch_uid="marketplace.revocations")
        # ... and a restore's entries in the restore's, the same way.
        asset_restoring.connect(on_asset_restoring, dispatch_uid="marketplace.restores")
        asset_hold_cleared.connect(on_asset_hold_cleared, dispatch_uid="marketplace.holds")
        # Moderators decide ownership claims in the review queue; the marketplace keeps them.
        from marketplace.claims import WorkClaims
        from moderation.services import claim_keeper_register

        claim_keeper_register(WorkClaims())
        # Billing announces payouts sent: the rights holder is told on the site and by email.
        from billing.signals import payout_sent
        from marketplace.notifications import on_payout_sent

        payout_sent.connect(on_payout_sent, dispatch_uid="marketplace.payouts")

        # Failed sign-ins that lock an account out are recorded in the audit log.
        from axes.signals import user_locked_out

        from marketplace.signin import on_user_locked_out

        user_locked_out.connect(on_user_locked_out, dispatch_uid="marketplace.lockouts")
