"""API tokens: create, list, rotate, revoke, and check one presented with a request.

A token is `mkt_` and 43 random URL-safe characters (256 bits from `secrets`). Only its
SHA-256 is stored, with its first characters in clear: a request's token is looked up by
those characters and accepted when its hash matches, compared in constant time. Tokens of
this kind are random enough that a plain SHA-256 is as strong as a slow password hash."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from common.errors import DomainError, InvalidCredentials, NotFound
from marketplace.models import ApiToken, TokenScope, User
from marketplace.signin import lockout_minutes

TOKEN_PREFIX = "mkt_"  # noqa: S105 - a label, not a secret
PREFIX_LENGTH = 12  # `mkt_` and 8 random characters: shown in lists, used for look-ups
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
BIGINT_MAX = 2**63 - 1


class LockedOut(DomainError):
    """Sign-in refused for a while after repeated failures (marketplace.signin)."""

    code = "locked_out"
    status_code = 429


class TokenRefused(DomainError):
    """A presented token that cannot be used; `code` says why (expired, revoked, unknown)."""

    status_code = 401


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: `token` is the only time the clear token exists."""

    record: ApiToken
    token: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_lifetime(expires_in_days: int | None) -> timedelta:
    """The lifetime asked for, or the default; never more than the maximum."""
    days = settings.API_TOKEN_DEFAULT_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise DomainError(
            f"A token lives from 1 to {settings.API_TOKEN_MAX_DAYS} days.",
            code="invalid",
            fields={"expires_in_days": [f"Choose 1 to {settings.API_TOKEN_MAX_DAYS}."]},
        )
    return timedelta(days=days)


def token_create(
    *,
    user: User,
    name: str,
    scope: str = TokenScope.MANAGE,
    expires_in_days: int | None = None,
) -> IssuedToken:
    """A new token for `user`. The clear token is in the result and nowhere else."""
    if scope not in TokenScope.values:
        raise DomainError(
            f"Unknown scope {scope!r}.",
            code="invalid",
            fields={"scope": [f"Choose one of {', '.join(TokenScope.values)}."]},
        )
    name = name.strip()
    if not name:
        raise DomainError("Name the token.", code="invalid", fields={"name": ["What is it for?"]})
    lifetime = token_lifetime(expires_in_days)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    record = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=token[:PREFIX_LENGTH],
        digest=token_digest(token),
        scope=scope,
        created_at=now,
        expires_at=now + lifetime,
    )
    return IssuedToken(record, token)


def token_obtain(
    *,
    request,
    username: str,
    password: str,
    name: str = "",
    scope: str = TokenScope.MANAGE,
    expires_in_days: int | None = None,
) -> IssuedToken:
    """A new token for whoever signs in with this username and password. `request` goes to
    the authentication backends: failed attempts count towards the sign-in lockout."""
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        minutes = lockout_minutes()
        raise LockedOut(
            f"Too many failed sign-ins for this account from here; try again in {minutes} minutes."
        )
    if user is None:
        raise InvalidCredentials("Unable to sign in with this username and password.")
    return token_create(
        user=user,
        name=name or "Signed in with a password",
        scope=scope,
        expires_in_days=expires_in_days,
    )


def tokens_of(user: User, *, include_inactive: bool = False) -> QuerySet[ApiToken]:
    """The account's tokens, newest first: those that still work, or all of them."""
    tokens = ApiToken.objects.filter(user=user)
    if not include_inactive:
        tokens = tokens.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
    return tokens.order_by("-created_at", "-id")


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the account's tokens: it stops working at once. Revoking a revoked
    token changes nothing."""
    in_range = 0 < token_id <= BIGINT_MAX  # a path id past the column's range is no token
    token = in_range and ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
    if not token:
        raise NotFound("You have no token with this id.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def token_rotate(*, user: User, token_id: int) -> IssuedToken:
    """Replace a token by a new one with the same name and scope and a fresh default
    lifetime; the old one stops working at once."""
    old = token_revoke(user=user, token_id=token_id)
    return token_create(user=user, name=old.name, scope=old.scope)


def token_authenticate(token: str) -> ApiToken:
    """The token record for a token presented with a request, with its user loaded; raises
    TokenRefused saying whether it is unknown, revoked or expired."""
    digest = token_digest(token)
    match = None
    for candidate in ApiToken.objects.filter(prefix=token[:PREFIX_LENGTH]).select_related("user"):
        if hmac.compare_digest(candidate.digest, digest):
            match = candidate
    if match is None or not match.user.is_active:
        raise TokenRefused("Invalid token.", code="authentication_failed")
    now = timezone.now()
    if match.revoked_at is not None:
        raise TokenRefused(
            f"This token was revoked on {match.revoked_at:%Y-%m-%d %H:%M} UTC; use a current one.",
            code="token_revoked",
        )
    if match.expires_at <= now:
        raise TokenRefused(
            f"This token expired on {match.expires_at:%Y-%m-%d %H:%M} UTC; create a new one.",
            code="token_expired",
        )
    if match.last_used_at is None or match.last_used_at < now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=match.pk).update(last_used_at=now)
        match.last_used_at = now
    return match
