"""Path patterns as robots.txt (RFC 9309) and tdmrep.json write them: a prefix of the
URL path, `*` for any run of characters, `$` at the end for the end of the path."""

import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(unquote(part)) for part in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""), re.DOTALL)


def matches(pattern: str, path: str) -> bool:
    if not pattern.startswith(("/", "*")):
        pattern = "/" + pattern
    return _compiled(pattern).match(unquote(path)) is not None


def url_path(url: str) -> str:
    """The path and query of a URL, as patterns are matched against it."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
