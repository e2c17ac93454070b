"""Pagination with a page size the client may choose up to API_MAX_PAGE_SIZE.

Unlike DRF's defaults, a bad page size or cursor is a 400 naming the parameter rather than
being silently clamped or answered with a 404."""

from django.conf import settings
from rest_framework import exceptions, pagination


def requested_page_size(request, *, default: int) -> int:
    raw = request.query_params.get("page_size")
    if raw in (None, ""):
        return default
    maximum = settings.API_MAX_PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise exceptions.ValidationError(
            {"page_size": [f"Must be a whole number from 1 to {maximum}."]}
        )
    return int(raw)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        return requested_page_size(request, default=self.page_size)


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: stable while rows are inserted, as fast on page 1,000 as on page 1."""

    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request):
        return requested_page_size(request, default=self.page_size)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError(
                {"cursor": ["This cursor is not valid; start again from the first page."]}
            ) from exc
