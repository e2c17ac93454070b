"""What every request under the API's paths gets, before and after its view:

- a path without its trailing slash is answered by the same view as the path with it (no
  redirect: a redirect cannot carry a POST body, and clients do not follow one for PUT);
- an error answered by anything other than an API view (an unknown path, Django's own
  error pages, its debug pages when DEBUG is on) becomes the API's one JSON error body."""

from django.http import JsonResponse
from django.urls import is_valid_path

from marketplace.api.errors import error_response, is_api

# What a client needs of an error response's headers, kept when its body is replaced.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


class ApiPathsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api(request):
            return self.get_response(request)
        _add_missing_slash(request)
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            # An API view's own error (rendered as a browsable page for a browser) keeps its
            # body; anything else gets the body its status calls for.
            body = getattr(response, "data", None)
            kept = {k: v for k, v in response.items() if k in KEPT_HEADERS}
            if isinstance(body, dict) and set(body) == {"error"}:
                response = JsonResponse(body, status=response.status_code, headers=kept)
            else:
                response = error_response(request, response.status_code, headers=kept)
        return response


def _add_missing_slash(request) -> None:
    path = request.path_info
    if path.endswith("/"):
        return
    urlconf = getattr(request, "urlconf", None)
    if not is_valid_path(path, urlconf) and is_valid_path(f"{path}/", urlconf):
        request.path_info = f"{path}/"
        request.path = f"{request.path}/"


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
