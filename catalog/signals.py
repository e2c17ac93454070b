"""What the catalog announces to the apps built on it (which it may not call directly)."""

from django.dispatch import Signal

# Sent after the transaction that took an asset down commits: asset_id, reason.
asset_taken_down = Signal()

# Sent inside the transaction that takes an asset down, as its last step: asset_id, reason,
# previous_status. Receivers write what must commit with the takedown or not at all (the
# buyers' revocations feed).
asset_taking_down = Signal()

# Sent inside the transaction that restores a taken-down asset, as its last step: asset_id,
# status (the one it returned to). Receivers write what must commit with the restore or
# not at all (the buyers' revocations feed).
asset_restoring = Signal()

# Sent inside the transaction that cleared a classifier hold: asset_id. Receivers may change
# the asset's status again (an opt-in work's offer decides whether it is published).
asset_hold_cleared = Signal()

# Sent inside the transaction that stored assets' files (cloning, uploads): asset_ids. The
# classifiers score them once it commits.
assets_stored = Signal()
