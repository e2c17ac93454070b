import json
from pathlib import Path

import httpx
from django.core.management.base import BaseCommand, CommandError

from common.receipt_verify import ReceiptInvalid, verify_receipt
from marketplace.receipts import receipt_keys_published


class Command(BaseCommand):
    help = (
        "Check a license receipt (a JSON file, `-` for standard input) against the published "
        "receipt keys: a file or URL given with --keys (e.g. "
        "https://market.example.org/.well-known/receipt-keys.json), else this site's keys. "
        "Exits 1 when it does not verify."
    )

    def add_arguments(self, parser):
        parser.add_argument("receipt", help="The receipt's JSON file, or - for stdin.")
        parser.add_argument("--keys", default="", help="The published keys: a file or a URL.")

    def handle(self, *args, receipt: str, keys: str, **options):
        try:
            text = self.stdin.read() if receipt == "-" else Path(receipt).read_text("utf-8")
            document = json.loads(text)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the receipt: {exc}") from None
        if isinstance(document, dict) and "receipt" in document:  # a whole download answer
            document = document["receipt"]
        published = self._keys(keys)
        try:
            verified = verify_receipt(document, published)
        except ReceiptInvalid as exc:
            raise CommandError(f"The receipt does NOT verify: {exc}", returncode=1) from None
        self.stdout.write(
            f"The receipt {verified.receipt_id} verifies: signed with {verified.key_id} at "
            f"{verified.issued_at}, {verified.grants} grant(s)."
        )

    @property
    def stdin(self):
        import sys

        return sys.stdin

    def _keys(self, source: str) -> dict:
        if not source:
            return receipt_keys_published()
        try:
            if source.startswith(("http://", "https://")):
                response = httpx.get(source, timeout=30, follow_redirects=True)
                response.raise_for_status()
                return response.json()
            return json.loads(Path(source).read_text("utf-8"))
        except (OSError, ValueError, httpx.HTTPError) as exc:
            raise CommandError(f"Cannot read the keys from {source}: {exc}") from None
