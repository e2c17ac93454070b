"""Ownership claims in the review queue.

Moderators decide ownership claims (a rights holder's pending declaration, an upload held
because its file matches someone else's), but moderation does not keep them: the app that
keeps works registers a `ClaimKeeper` at start-up (the marketplace does, in its
AppConfig). Without one, no asset has a claim. This keeps moderation below the
marketplace: it calls what is registered here and imports nothing of the marketplace."""

from typing import Protocol

from django.db.models import QuerySet


class ClaimKeeper(Protocol):
    def waiting(self) -> QuerySet:
        """One row per asset whose claim waits for a moderator, with `asset_id` and
        `since` (when the claim began)."""

    def lock(self, asset_id: int) -> None:
        """Lock the claim's rows of this asset (inside the caller's transaction), before
        the asset itself: the one lock order every decision uses."""

    def verify(self, *, asset_id: int, moderator, note: str) -> None:
        """The claimant owns it: accept pending declarations, release an upload hold.
        Raises a DomainError saying why when no claim waits."""

    def reject(self, *, asset_id: int, moderator, note: str) -> None:
        """Reject pending declarations, with the note the claimant reads. Raises a
        DomainError saying why when none waits or the note is missing."""

    def describe(self, asset_id: int) -> str | None:
        """HTML for the review page: who claims the asset and with what, or None when no
        one does (a base-set item)."""


_keeper: ClaimKeeper | None = None


def claim_keeper_register(keeper: ClaimKeeper) -> None:
    global _keeper
    _keeper = keeper


def claim_keeper() -> ClaimKeeper | None:
    return _keeper
