from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_role_groups(sender, **kwargs) -> None:
    from marketplace.services import role_groups_sync

    role_groups_sync()


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        # After every migrate (when Django has created the permissions), not in a migration:
        # the permission rows do not exist yet while migrations run.
        post_migrate.connect(_sync_role_groups, dispatch_uid="marketplace.role_groups")
        # The catalog announces takedowns; it may not call the marketplace itself.
        from catalog.signals import asset_taken_down
        from marketplace.notifications import on_asset_taken_down

        asset_taken_down.connect(on_asset_taken_down, dispatch_uid="marketplace.takedowns")
