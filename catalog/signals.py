"""What the catalog announces to the apps built on it (which it may not call directly)."""

from django.dispatch import Signal

# Sent after the transaction that took an asset down commits: asset_id, reason.
asset_taken_down = Signal()
