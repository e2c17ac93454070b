from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        # The catalog announces stored files (cloning, uploads); it may not call moderation.
        from catalog.signals import assets_stored
        from moderation.services import on_assets_stored

        assets_stored.connect(on_assets_stored, dispatch_uid="moderation.score_stored")
