"""What billing announces to the apps built on it (which it may not call directly)."""

from django.dispatch import Signal

# Sent after the transaction that marked a payout sent commits: payout_id, rights_holder_id,
# amount_micros, batch.
payout_sent = Signal()
