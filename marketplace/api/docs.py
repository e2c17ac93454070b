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


def tdm_headers(*statuses: int) -> list:
    """The TDMRep response headers (marketplace.policies) of answers about assets."""
    from drf_spectacular.utils import OpenApiParameter

    where = list(statuses) or True
    return [
        OpenApiParameter(
            "tdm-reservation", str, OpenApiParameter.HEADER, response=where, enum=["0", "1"],
            description="W3C TDMRep: `1` when the answer is about an opt-in work (text and "
            "data mining rights reserved: license it), `0` for base-set items (PDM/CC0).",
        ),
        OpenApiParameter(
            "tdm-policy", str, OpenApiParameter.HEADER, response=where,
            description="With `tdm-reservation: 1` about one work: the absolute URL of its "
            "ODRL policy (`/policies/<id>.jsonld`): its uses and their prices.",
        ),
    ]  # fmt: skip
