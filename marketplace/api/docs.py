"""Shared OpenAPI response declarations so every endpoint documents its error bodies."""

from drf_spectacular.utils import OpenApiResponse

from marketplace.api.serializers import ErrorSerializer


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


BAD_REQUEST = error("The input is invalid; `fields` names each problem.")
UNAUTHENTICATED = error("No valid token or session.")
FORBIDDEN = error("Signed in, but not allowed to do this.")
NOT_FOUND = error("No such object, or not visible to you.")
THROTTLED = error("Too many requests; retry after the `Retry-After` header's seconds.")
