"""Token authentication with hashed, expiring, scoped tokens (marketplace.tokens).

DRF's TokenAuthentication reads the `Authorization: Token <token>` header; the token is
checked here, and so is its scope against what the request needs: every view answers to
the same rule, whatever its permission classes. A view needing another scope than the
default (read for GET, HEAD and OPTIONS; manage for the rest) says so in `token_scopes`."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import SAFE_METHODS

from marketplace.models import ApiToken, TokenScope
from marketplace.tokens import TokenRefused, token_authenticate


def required_scope(view, method: str) -> TokenScope:
    """The scope a token needs for this view and method."""
    declared = getattr(view, "token_scopes", {}).get(method.upper())
    if declared is not None:
        return TokenScope(declared)
    return TokenScope.READ if method.upper() in SAFE_METHODS else TokenScope.MANAGE


def request_allows(request, scope: TokenScope) -> bool:
    """Whether the request's credentials allow `scope`: a session allows everything, a
    token what its scope includes."""
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):
        return True
    return token.token_scope.includes(scope)


class InsufficientScope(exceptions.PermissionDenied):
    default_code = "insufficient_scope"


class ScopedTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        token = result[1]
        view = (request.parser_context or {}).get("view")
        needed = required_scope(view, request.method)
        if not token.token_scope.includes(needed):
            raise InsufficientScope(
                f"This token's scope is `{token.scope}`; this request needs `{needed.value}`. "
                "Use a token with that scope.",
            )
        return result

    def authenticate_credentials(self, key):
        try:
            token = token_authenticate(key)
        except TokenRefused as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from None
        return token.user, token


class ScopedTokenScheme(OpenApiAuthenticationExtension):
    """How the schema tells clients (and tools that sign up through it) to send a token."""

    target_class = ScopedTokenAuthentication
    name = "tokenAuth"
    priority = 1  # over drf-spectacular's own scheme for DRF's TokenAuthentication

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An API token, sent as `Authorization: Token <token>`. "
            "POST /api/v1/auth/register/ answers the first one (`token.token`); "
            "POST /api/v1/auth/token/ exchanges a username and password for another. "
            "Scopes: read < download < purchase < manage.",
        }
