"""Absolute links: every URL a client follows (downloads, thumbnails, manifests, releases,
checkout pages, next pages) starts with the site's address, PUBLIC_BASE_URL when it is set
(behind a proxy the request may not know it), else the address the request came to."""

from urllib.parse import urlsplit

from django.conf import settings


def base_url(request=None) -> str:
    """`https://market.example.org`, without a trailing slash; "" with neither a setting
    nor a request."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL
    if request is not None:
        return request.build_absolute_uri("/")[:-1]
    return ""


def absolute(url: str, *, request=None, base: str | None = None) -> str:
    """The URL as given when it is absolute already (S3, Stripe), else on this site."""
    if not url or urlsplit(url).scheme:
        return url
    prefix = base_url(request) if base is None else base
    return f"{prefix}{url}" if url.startswith("/") else f"{prefix}/{url}"


def absolute_page_url(request) -> str:
    """This request's own URL, query string included, on the site's address."""
    return absolute(request.get_full_path(), request=request)
