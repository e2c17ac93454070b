"""The full-text document of an asset (PostgreSQL): weighted title, creator, tags and
description. Written when an asset is published or its text changes, so bulk imports of
not-yet-published records pay nothing for it."""

import re
from collections.abc import Iterable

from django.db import connection

CONFIG = "english"
# Title weighs most, then creator and tags, then the description.
DOCUMENT_SQL = f"""
    setweight(to_tsvector('{CONFIG}', coalesce(title, '')), 'A')
    || setweight(to_tsvector('simple', coalesce(creator, '')), 'B')
    || setweight(jsonb_to_tsvector('{CONFIG}', coalesce(tags, '[]'::jsonb), '["string"]'), 'B')
    || setweight(to_tsvector('{CONFIG}', coalesce(left(description, 20000), '')), 'C')
"""


def search_documents_refresh(asset_ids: Iterable[int]) -> None:
    """Recompute the search document of these assets (inside the caller's transaction)."""
    ids = list(asset_ids)
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE catalog_asset SET search_document = {DOCUMENT_SQL} WHERE id = ANY(%s)",  # noqa: S608 - constant SQL
            [ids],
        )


_YEAR = re.compile(r"(?<![\d.])(\d{3,4})(?![\d.])")


def parse_year(creation_date: str) -> int | None:
    """The first plausible year in a date as sources write it ('c. 1850', '1850-1860',
    '1901-05-03'); None for centuries, eras BCE or nothing recognizable."""
    if not creation_date or re.search(r"\b(bce?|b\.c\.)\b", creation_date, re.IGNORECASE):
        return None
    for match in _YEAR.finditer(creation_date):
        year = int(match.group(1))
        if 100 <= year <= 2100:
            return year
    return None
