"""API tokens: several per account, each named, scoped and expiring, stored only as a hash."""

from django.conf import settings
from django.db import models


class TokenScope(models.TextChoices):
    """What a token may do. Each scope includes the ones before it."""

    READ = "read", "Read: search, see your own lists"
    DOWNLOAD = "download", "Download: license what costs nothing or is already licensed"
    PURCHASE = "purchase", "Purchase: may also spend from the wallet"
    MANAGE = "manage", "Manage: everything the account may do"

    @property
    def rank(self) -> int:
        return SCOPE_ORDER.index(self)

    def includes(self, other: "TokenScope") -> bool:
        return self.rank >= TokenScope(other).rank


SCOPE_ORDER = [TokenScope.READ, TokenScope.DOWNLOAD, TokenScope.PURCHASE, TokenScope.MANAGE]


class ApiToken(models.Model):
    """One API token. The token itself is shown once, when it is created; the database
    keeps its SHA-256 and its first characters (to tell tokens apart), so a copy of the
    database cannot be used to sign in. Revoked and expired tokens are kept, so a request
    with one is told which it is."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="The account the token acts for.",
    )
    name = models.CharField(
        max_length=100, help_text="What the token is for, in its owner's words."
    )
    prefix = models.CharField(
        max_length=12,
        db_index=True,
        help_text="The token's first characters, kept in clear to find it and to tell it apart.",
    )
    digest = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the whole token, lowercase hex."
    )
    scope = models.CharField(
        max_length=16,
        choices=TokenScope.choices,
        default=TokenScope.MANAGE,
        help_text="What the token may do: read, download, purchase or manage (each includes "
        "the ones before it).",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was created.")
    expires_at = models.DateTimeField(help_text="It stops working at this time.")
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="When it last signed a request in (to the minute)."
    )
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="When its owner revoked or rotated it, if they did."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=[s.value for s in SCOPE_ORDER]),
                name="apitoken_scope_known",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def token_scope(self) -> TokenScope:
        return TokenScope(self.scope)
