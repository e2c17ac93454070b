"""Account endpoints: register, API tokens, the signed-in user."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from marketplace import services
from marketplace.api import docs
from marketplace.api.serializers import (
    RegisterRequestSerializer,
    RegisterResponseSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
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
        description="Create an account as a rights holder or a buyer. Returns its API token.",
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
        user, token = services.user_register(**serializer.validated_data)
        body = RegisterResponseSerializer({"user": user, "token": token}).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["accounts"])
class TokenObtainView(AuthThrottleMixin, APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="Obtain an API token",
        description="Exchange a username and password for the account's API token.",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: docs.BAD_REQUEST, 429: docs.THROTTLED},
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = services.token_obtain(**serializer.validated_data)
        return Response(TokenSerializer(token).data)


@extend_schema(tags=["accounts"])
class TokenRotateView(AuthThrottleMixin, APIView):
    @extend_schema(
        summary="Rotate the API token",
        description="Issue a new token; the previous one stops working immediately.",
        request=None,
        responses={200: TokenSerializer, 401: docs.UNAUTHENTICATED, 429: docs.THROTTLED},
    )
    def post(self, request):
        token = services.token_rotate(user=request.user)
        return Response(TokenSerializer(token).data)


@extend_schema(tags=["accounts"])
class MeView(APIView):
    @extend_schema(
        summary="The signed-in account",
        responses={200: UserSerializer, 401: docs.UNAUTHENTICATED},
    )
    def get(self, request):
        return Response(UserSerializer(request.user).data)
