"""The `Idempotency-Key` header on the endpoints that spend (marketplace.idempotency)."""

from collections.abc import Callable

from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from marketplace.idempotency import HEADER, Answer, idempotent_call, request_fingerprint

REPLAYED_HEADER = "Idempotent-Replayed"

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Up to 255 characters of your choice (a UUID, say), new for each new request. "
    "Sending the same request again with the same key returns the first answer (for 24 "
    "hours) and changes nothing: no second charge, no second use of the quota. A replayed "
    f"answer carries `{REPLAYED_HEADER}: true`. The same key with a different request is "
    "refused with 422 `idempotency_key_reused`. A refused request keeps nothing, so its "
    "retry runs again.",
)


def idempotent_response(request, run: Callable[[], Response]) -> Response:
    """`run()`'s response, or with a key already answered for this request, that answer."""
    key = request.headers.get(HEADER)
    if key is None:
        return run()

    def first() -> Answer:
        response = run()
        return Answer(response.status_code, response.data)

    answer = idempotent_call(
        user=request.user,
        key=key,
        fingerprint=request_fingerprint(
            method=request.method, path=request.path, data=request.data
        ),
        run=first,
    )
    response = Response(answer.body, status=answer.status)
    if answer.replayed:
        response[REPLAYED_HEADER] = "true"
    return response
