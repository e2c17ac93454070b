"""One error body for every 4xx: {"error": {"code": ..., "message": ..., "fields": {...}}}."""

import re
from http import HTTPStatus

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.urls import is_valid_path
from django.utils.translation import ngettext
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import DomainError
from common.fields import ID_MAX
from marketplace.served import StoredFileUnreadable

NON_FIELD_KEYS = ("non_field_errors", "__all__")
ID_IN_PATH = re.compile(r"/[0-9]+(?=/)")


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors become dotted field names: {"items.0.price": [...]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix and key not in NON_FIELD_KEYS else (prefix or key)
            for sub_key, messages in _flatten(value, name).items():
                flat.setdefault(sub_key, []).extend(messages)
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix: [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix: [str(detail)]}


def _validation_body(detail) -> dict:
    flat = _flatten(detail if isinstance(detail, dict | list) else [detail])
    general = [m for key in ("", *NON_FIELD_KEYS) for m in flat.pop(key, [])]
    if general:
        message = " ".join(general)
    else:
        name, messages = next(iter(flat.items()))
        message = f"{name}: {messages[0]}"
        if len(flat) > 1:
            more = len(flat) - 1
            message += ngettext(" (and %(n)d more field)", " (and %(n)d more fields)", more) % {
                "n": more
            }
    return error_body("invalid", message, flat)


def api_exception_handler(exc, context):
    if isinstance(exc, StoredFileUnreadable):  # the request's transaction is over: report
        exc.report(actor=context["request"].user.get_username() or "api")
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a 500: Django's handler logs it and answers `server_error` below
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc.detail)
    else:
        # DRF has turned Http404 and Django's PermissionDenied into its own exceptions here.
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = error_body(getattr(detail, "code", "error"), str(detail))
    return response


# Django-level errors (unknown URL, oversized body, crash) for API paths, same body.
def is_api(request) -> bool:
    return request.path.startswith(("/api/", "/healthz", "/readyz"))


def _not_found_message(request) -> str:
    path, routed = request.path, request.path_info  # routed: without a script prefix
    if ID_IN_PATH.search(routed) and is_valid_path(ID_IN_PATH.sub("/1", routed)):
        return f"No such id in {path}: ids are whole numbers from 1 to {ID_MAX}."
    return f"There is no endpoint at {path}. See /api/docs/ for the list of endpoints."


def error_response(request, status: int, *, headers=None, message: str = "") -> JsonResponse:
    """The JSON error body for an HTTP status that no API view answered itself."""
    if status == 404:
        code, default = "not_found", _not_found_message(request)
    elif status == 405:
        code, default = "method_not_allowed", f"{request.method} is not allowed on this path."
    elif status >= 500:
        code, default = "server_error", "Something went wrong on our side; it has been logged."
    else:
        code, default = DJANGO_ERRORS.get(status, ("error", HTTPStatus(status).phrase + "."))
    return JsonResponse(error_body(code, message or default), status=status, headers=headers)


DJANGO_ERRORS = {
    400: ("bad_request", "The request could not be read."),
    403: ("permission_denied", "You do not have permission to do this."),
    413: ("too_large", "The request is larger than this server accepts."),
}


def bad_request(request, exception, template_name="400.html"):
    if is_api(request):
        return error_response(
            request, 400, message="The request could not be read: " + str(exception)
        )
    return defaults.bad_request(request, exception)


def permission_denied(request, exception, template_name="403.html"):
    if is_api(request):
        return error_response(request, 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception, template_name="404.html"):
    if is_api(request):
        return error_response(request, 404)
    return defaults.page_not_found(request, exception)


def server_error(request, template_name="500.html"):
    if is_api(request):
        return error_response(request, 500)
    return defaults.server_error(request)
