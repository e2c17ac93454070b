"""Pagination with a page size the client may choose up to API_MAX_PAGE_SIZE.

Unlike DRF's default, a bad page size is a 400 naming the parameter rather than being
silently clamped. (Asset search has keyset pages of its own: catalog.search.)"""

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
