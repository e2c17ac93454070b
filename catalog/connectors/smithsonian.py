"""Smithsonian Open Access, through its search API.

Endpoint: https://api.si.edu/openaccess/api/v1.0/search with `api_key`
(settings.SMITHSONIAN_API_KEY), `q=online_media_type:Images AND media_usage:CC0`,
`start`/`rows` paging (`rows=1000`, the API's maximum): the next request starts `rows` further
on, until `start` reaches the response's `response.rowCount` or a page comes back empty.
The search cannot select records changed since a date, so `since` is ignored: every run walks
the whole result set.

License decision (strict), per media item: only `usage.access == "CC0"` is accepted
(cc0-1.0). The query's CC0 filter only narrows the walk; each media item is decided alone.
"""

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from catalog.connectors.base import Candidate, Connector, MalformedPayload, PageRequest
from catalog.connectors.text import plain_text, text
from catalog.licenses import CC0, LICENSE_MISSING, LICENSE_NOT_ACCEPTED

API_URL = "https://api.si.edu/openaccess/api/v1.0/search"
DETAIL_URL = "https://collections.si.edu/search/detail/"
PAGE_SIZE = 1000
QUERY = "online_media_type:Images AND media_usage:CC0"

MISSING_RECORD_ID = "missing_record_id"
MISSING_IMAGE_URL = "missing_image_url"

# freetext.name labels that name who made the object (not a collector, donor or subject).
CREATOR_LABELS = {
    "artist",
    "artist/maker",
    "attributed to",
    "author",
    "architect",
    "cartographer",
    "created by",
    "creator",
    "designer",
    "draftsman",
    "engraver",
    "illustrator",
    "lithographer",
    "maker",
    "painter",
    "photographer",
    "photograph by",
    "printmaker",
    "print maker",
    "sculptor",
}
DESCRIPTION_LABELS = {"description", "summary", "brief description", "description (brief)"}
TAG_FIELDS = ("topic", "object_type", "scientific_name", "common_name", "place")


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _labelled(entries: Any, labels: set[str] | None = None) -> list[str]:
    """The `content` of freetext entries (`{"label": ..., "content": ...}`), optionally only
    those whose label is in `labels` (compared without case)."""
    found = []
    for entry in _list(entries):
        if not isinstance(entry, dict):
            continue
        if labels is not None and text(entry.get("label")).lower() not in labels:
            continue
        content = plain_text(entry.get("content"))
        if content and content not in found:
            found.append(content)
    return found


def license_decision(usage: Any) -> tuple[str | None, str | None]:
    """(license code, None) when accepted, else (None, reason), for one media item."""
    access = usage.get("access") if isinstance(usage, dict) else None
    if access is None or (isinstance(access, str) and not access.strip()):
        return None, LICENSE_MISSING
    if access == "CC0":
        return CC0, None
    return None, LICENSE_NOT_ACCEPTED


class SmithsonianConnector(Connector):
    name = "smithsonian"
    institution = "Smithsonian Institution"

    def first_request(self, *, since: date | None) -> PageRequest:
        key = settings.SMITHSONIAN_API_KEY
        if not key:
            raise ImproperlyConfigured("Set SMITHSONIAN_API_KEY to harvest the Smithsonian.")
        params = {"api_key": key, "q": QUERY, "start": 0, "rows": PAGE_SIZE}
        return PageRequest(API_URL, params)

    def next_request(self, payload: Any, current: PageRequest) -> PageRequest | None:
        response = _dict(payload.get("response") if isinstance(payload, dict) else None)
        row_count = response.get("rowCount")
        if not _list(response.get("rows")) or not isinstance(row_count, int):
            return None
        start = int(current.params.get("start", 0)) + int(current.params.get("rows", PAGE_SIZE))
        if start >= row_count:
            return None
        return current.with_params(start=start)

    def parse_page(self, payload: Any) -> list[Candidate]:
        if not isinstance(payload, dict) or not isinstance(payload.get("response"), dict):
            raise MalformedPayload("Smithsonian response has no `response` object")
        response = payload["response"]
        rows = response.get("rows")
        if rows is None and response.get("rowCount") == 0:
            rows = []
        if not isinstance(rows, list):
            raise MalformedPayload("Smithsonian `response.rows` is not a list")
        candidates = []
        for row in rows:
            if not isinstance(row, dict):
                candidates.append(Candidate(self.name, "").reject(MISSING_RECORD_ID))
                continue
            candidates.extend(self._candidates(row))
        return candidates

    def _candidates(self, row: dict) -> list[Candidate]:
        content = _dict(row.get("content"))
        dnr = _dict(content.get("descriptiveNonRepeating"))
        freetext = _dict(content.get("freetext"))
        indexed = _dict(content.get("indexedStructured"))
        record_id = text(dnr.get("record_ID"))
        edan_url = text(row.get("url"))  # "edanmdm:<record_ID>"
        landing_url = text(dnr.get("record_link")) or text(dnr.get("guid"))
        if not landing_url and edan_url:
            landing_url = DETAIL_URL + edan_url
        title = plain_text(_dict(dnr.get("title")).get("content")) or plain_text(row.get("title"))
        creators = _labelled(freetext.get("name"), CREATOR_LABELS)
        dates = _labelled(freetext.get("date"))
        tags: list[str] = []
        for field in TAG_FIELDS:
            for tag in _list(indexed.get(field)):
                if isinstance(tag, str) and tag.strip() and tag.strip() not in tags:
                    tags.append(tag.strip())
        shared = {
            "source": self.name,
            "landing_url": landing_url,
            "title": title,
            "creator": "; ".join(creators),
            "description": " ".join(_labelled(freetext.get("notes"), DESCRIPTION_LABELS)),
            "creation_date": dates[0] if dates else "",
            "institution": text(dnr.get("unit_name")) or text(dnr.get("data_source")),
        }
        media = [
            item
            for item in _list(_dict(dnr.get("online_media")).get("media"))
            if isinstance(item, dict) and item.get("type") == "Images"
        ]
        if not record_id:
            return [Candidate(source_record_id="", tags=tags, **shared).reject(MISSING_RECORD_ID)]
        if not media:
            candidate = Candidate(source_record_id=record_id, tags=tags, **shared)
            return [candidate.reject(MISSING_IMAGE_URL)]
        candidates = []
        for item in media:
            media_id = text(item.get("idsId"))
            candidate = Candidate(
                source_record_id=f"{record_id}#{media_id}" if len(media) > 1 else record_id,
                original_url=text(item.get("content")),
                tags=list(tags),
                evidence={"usage": item.get("usage")},
                **shared,
            )
            if len(media) > 1 and not media_id:
                candidate.source_record_id = ""
                candidates.append(candidate.reject(MISSING_RECORD_ID))
            elif not candidate.original_url.startswith(("https://", "http://")):
                candidate.original_url = ""
                candidates.append(candidate.reject(MISSING_IMAGE_URL))
            else:
                candidate.license, candidate.rejection = license_decision(item.get("usage"))
                candidates.append(candidate)
        return candidates
