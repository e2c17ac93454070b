"""Signing test clients in with API tokens, made through the same service as the API's."""

from marketplace.models import TokenScope
from marketplace.tokens import token_create


def token_for(user, *, scope: str = TokenScope.MANAGE, name: str = "test") -> str:
    """A new working token for `user`, in clear."""
    return token_create(user=user, name=name, scope=scope).token


def sign_in(client, user, *, scope: str = TokenScope.MANAGE) -> str:
    """Make `client` send a new token of `user` with every request; returns the token."""
    token = token_for(user, scope=scope)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return token
