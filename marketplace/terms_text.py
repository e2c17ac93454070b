"""The first published version of the training license (later versions live only in
the database, written by staff in the admin)."""

FIRST_VERSION = "2026-11"
FIRST_TITLE = "Training License"
FIRST_TEXT = """Training License, version 2026-11

1. The rights holder grants the buyer a non-exclusive, worldwide, perpetual licence to copy
   the work and use it to train, evaluate and improve machine-learning models, for the uses
   the rights holder allowed in the offer (research, commercial, or both) and the buyer
   declared when downloading.
2. The buyer may not redistribute the work itself, alone or in a dataset, nor present the
   work or outputs substantially reproducing it as the buyer's own.
3. The licence covers the copy downloaded under this grant. It survives the work being
   withdrawn from the marketplace; it ends if the work is taken down for infringement, in
   which case the buyer deletes the copy.
4. The rights holder declares that they own the rights needed to grant this licence.
"""
