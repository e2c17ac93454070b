from django.core.management.base import BaseCommand

from marketplace.receipts import iso, receipt_key_rotate


class Command(BaseCommand):
    help = (
        "Make a new Ed25519 key the one that signs license receipts, valid from now; the "
        "current key's validity ends now. Receipts signed before still verify with it."
    )

    def handle(self, *args, **options):
        key = receipt_key_rotate()
        self.stdout.write(
            f"Receipts are now signed with {key.key_id} (valid from {iso(key.valid_from)}); "
            f"public key {key.public_key}"
        )
