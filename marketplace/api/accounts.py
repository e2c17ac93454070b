"""Account endpoints: register, API tokens, the signed-in user."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from common.errors import DomainError
from marketplace import accounts, tokens
from marketplace.api import docs
from marketplace.api.serializers import (
    ApiTokenSerializer,
    RegisterRequestSerializer,
    RegisterResponseSerializer,
    TokenCreateSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
    issued_token_body,
)
from marketplace.models import ApiToken, TokenScope

EXPIRED_OR_REVOKED = docs.error(
    "No valid token or session; `token_expired` and `token_revoked` say which."
)


class AuthThrottleMixin:
    """Sign-in endpoints get their own, stricter rate (API_THROTTLE_AUTH) against guessing."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


@extend_schema(tags=["accounts"])
class RegisterView(AuthThrottleMixin, APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="Register",
        description="Create an account as a rights holder or a buyer. Returns its first API "
        "token (scope `manage`, the default lifetime).",
        request=RegisterRequestSerializer,
        responses={
            201: RegisterResponseSerializer,
            400: docs.BAD_REQUEST,
            409: docs.error("The username or email address is already registered."),
            429: docs.THROTTLED,
        },
    )
    def post(self, request):
        serializer = RegisterRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, issued = accounts.user_register(**serializer.validated_data)
        body = {"user": UserSerializer(user).data, "token": issued_token_body(issued)}
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["accounts"])
class TokenObtainView(AuthThrottleMixin, APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="Obtain a new API token with a password",
        description="Exchange a username and password for a new token, with the name, scope "
        "and lifetime asked for. The token is in this response only. Repeated failures lock "
        "the account and address out for a while (`locked_out`).",
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: docs.BAD_REQUEST,
            429: docs.error("Too many attempts (`throttled`) or too many failed sign-ins "
                            "(`locked_out`); try again later."),
        },
    )  # fmt: skip
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Django's own request: the lockout check marks it for its middleware.
        issued = tokens.token_obtain(request=request._request, **serializer.validated_data)
        return Response(issued_token_body(issued))


@extend_schema(tags=["accounts"])
class TokenRotateView(AuthThrottleMixin, APIView):
    # A token may replace itself whatever its scope: the new one has the same scope.
    token_scopes = {"POST": TokenScope.READ}

    @extend_schema(
        summary="Rotate the API token in use",
        description="Replace the token this request is signed with by a new one with the same "
        "name and scope and a fresh default lifetime; the old one stops working at once.",
        request=None,
        responses={
            200: TokenSerializer,
            400: docs.error("`no_token`: the request is not signed with a token."),
            401: EXPIRED_OR_REVOKED,
            429: docs.THROTTLED,
        },
    )
    def post(self, request):
        if not isinstance(request.auth, ApiToken):
            raise DomainError(
                "Sign this request with the token to rotate, or use /api/v1/auth/tokens/.",
                code="no_token",
            )
        issued = tokens.token_rotate(user=request.user, token_id=request.auth.pk)
        return Response(issued_token_body(issued))


@extend_schema(tags=["accounts"])
class TokenListView(APIView):
    # Only a `manage` token (or a session) sees or creates the account's tokens.
    token_scopes = {"GET": TokenScope.MANAGE}

    @extend_schema(
        summary="Your API tokens",
        description="Tokens that still work, newest first (`?all=true`: revoked and expired "
        "ones too). Tokens themselves are never shown again after their creation.",
        responses={200: ApiTokenSerializer(many=True), 401: EXPIRED_OR_REVOKED,
                   403: docs.FORBIDDEN},
    )  # fmt: skip
    def get(self, request):
        show_all = request.query_params.get("all", "").lower() in ("1", "true", "yes")
        records = tokens.tokens_of(request.user, include_inactive=show_all)
        return Response(ApiTokenSerializer(records, many=True).data)

    @extend_schema(
        summary="Create an API token",
        description="A new token with a name, a scope and a lifetime. The token is in this "
        "response only: store it now.",
        request=TokenCreateSerializer,
        responses={201: TokenSerializer, 400: docs.BAD_REQUEST, 401: EXPIRED_OR_REVOKED,
                   403: docs.FORBIDDEN},
    )  # fmt: skip
    def post(self, request):
        serializer = TokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = tokens.token_create(user=request.user, **serializer.validated_data)
        return Response(issued_token_body(issued), status=status.HTTP_201_CREATED)


@extend_schema(tags=["accounts"])
class TokenDetailView(APIView):
    @extend_schema(
        summary="Revoke an API token",
        description="The token stops working at once; it stays listed with `?all=true`.",
        request=None,
        responses={200: ApiTokenSerializer, 401: EXPIRED_OR_REVOKED, 403: docs.FORBIDDEN,
                   404: docs.NOT_FOUND},
    )  # fmt: skip
    def delete(self, request, pk: int):
        record = tokens.token_revoke(user=request.user, token_id=pk)
        return Response(ApiTokenSerializer(record).data)


@extend_schema(tags=["accounts"])
class MeView(APIView):
    @extend_schema(
        summary="The signed-in account",
        responses={200: UserSerializer, 401: EXPIRED_OR_REVOKED},
    )
    def get(self, request):
        return Response(UserSerializer(request.user).data)
