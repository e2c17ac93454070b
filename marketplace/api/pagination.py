"""Pagination with a page size the client may choose up to API_MAX_PAGE_SIZE.

Unlike DRF's default, a bad page size or page number is a 400 naming the parameter rather
than being silently clamped (or a 404), and the `next` and `previous` links start with the
site's address (common.links). (Asset search has keyset pages of its own:
catalog.search.)"""

from django.conf import settings
from rest_framework import exceptions, pagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

from common.links import absolute_page_url


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

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        # Page numbers past the last page are a 404 (DRF's "Invalid page."); a value that
        # is no page number at all is bad input.
        if raw not in (None, "", "last") and not (raw.isdigit() and raw.strip("0")):
            raise exceptions.ValidationError(
                {self.page_query_param: ["Must be a whole number from 1, or `last`."]}
            )
        return super().paginate_queryset(queryset, request, view)

    def get_next_link(self):
        if not self.page.has_next():
            return None
        url = absolute_page_url(self.request)
        return replace_query_param(url, self.page_query_param, self.page.next_page_number())

    def get_previous_link(self):
        if not self.page.has_previous():
            return None
        url = absolute_page_url(self.request)
        number = self.page.previous_page_number()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)
