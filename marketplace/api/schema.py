"""The answers every operation can give, documented on every operation that can give them.

A view's `extend_schema` documents what is particular to it; what follows from the API's
common machinery is added here, after drf-spectacular has built the schema, so no
operation forgets one (a client generator or a fuzzer treats an undocumented status as a
broken contract):

- 401 wherever a token is read (a missing, expired or revoked token), 403 wherever a
  signed-in user may be refused (a role, or a token's scope);
- 400 wherever a body or query parameters are read (unreadable or invalid input), 415
  wherever a body is read (a content type the operation does not take);
- 404 wherever the path or the body names an object, and on numbered pages (a page past
  the last);
- 429 on every API operation (the request rates apply to all).

Numbered pages also get their bounds: `page` from 1, `page_size` from 1 to
API_MAX_PAGE_SIZE; and optional query parameters say that an empty value is allowed (it
reads as the parameter left out)."""

from django.conf import settings

from marketplace.api import docs

ERROR_REF = {"$ref": "#/components/schemas/Error"}
DESCRIPTIONS = {
    "400": docs.BAD_REQUEST.description,
    "401": docs.UNAUTHENTICATED.description,
    "403": docs.FORBIDDEN.description,
    "404": docs.NOT_FOUND.description,
    "415": "The body's content type is not one this operation reads.",
    "429": docs.THROTTLED.description,
}
PAGE_NOT_FOUND = "No such object, or a `page` past the last page."


def _error(description: str) -> dict:
    return {"content": {"application/json": {"schema": ERROR_REF}}, "description": description}


def _statuses(path: str, operation: dict) -> dict[str, str]:
    security = operation.get("security") or []
    reads_token = any("tokenAuth" in scheme for scheme in security)
    parameters = operation.get("parameters", [])
    query = any(p["in"] == "query" for p in parameters)
    paged = any(p["in"] == "query" and p["name"] == "page" for p in parameters)
    in_path = any(p["in"] == "path" for p in parameters)
    body = "requestBody" in operation
    wanted = {
        "401": reads_token,
        "403": reads_token,
        "400": body or query,
        "415": body,
        "404": in_path or paged or body,  # a body may name an object: a collection ...
        "429": path.startswith("/api/"),
    }
    statuses = {code: DESCRIPTIONS[code] for code, needed in wanted.items() if needed}
    if paged and not in_path:
        statuses["404"] = PAGE_NOT_FOUND
    return statuses


def _query_parameters(operation: dict) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        # An optional query parameter sent empty (`?q=`, as an HTML form sends a blank field)
        # reads as left out (DRF reads query strings so): the schema says so.
        if not parameter.get("required") and parameter.get("schema", {}).get("type") != "array":
            parameter["allowEmptyValue"] = True
        if parameter["name"] == "page":
            parameter["schema"] = {"type": "integer", "minimum": 1}
        elif parameter["name"] == "page_size":
            maximum = settings.API_MAX_PAGE_SIZE
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": maximum}


def document_common_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            _query_parameters(operation)
            responses = operation.setdefault("responses", {})
            for code, description in _statuses(path, operation).items():
                responses.setdefault(code, _error(description))
            operation["responses"] = dict(sorted(responses.items()))
    return result
