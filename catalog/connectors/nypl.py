"""NYPL Digital Collections API (https://api.repo.nypl.org/), token in settings.NYPL_API_TOKEN
sent as `Authorization: Token token="..."`.

A run is a search and then one call per result:

- `GET /api/v1/items/search?q=CC_0&field=use_rtxt_s&page=N&per_page=500` lists captures whose
  rights text is the CC0 statement: `{"nyplAPI": {"request": {"page", "totalPages", ...},
  "response": {"result": [{"uuid", "imageID", "rightsStatementURI", ...}]}}}`; pages run to
  `request.totalPages`. The search has no "changed since" filter, so `since` is not used.
- `GET /api/v1/items/item_details/{uuid}` answers the item: its MODS record (`mods`) and every
  capture of the item (`sibling_captures.capture`), each with its own `imageLinks`,
  `rightsStatement` and `rightsStatementURI`. `pages()` yields these, and `parse_page()` reads
  one of them. A search result already seen as a sibling of an earlier item is not fetched
  again (the API allows 10,000 calls a day).

Values come XML-style: `{"$": "text", ...attributes}`, and a one-element list may come as the
element itself.

License, per capture: the API's explicit field `rightsStatementURI` decides, through
`normalize_license` (the CC0 deed -> "cc0-1.0", the Public Domain Mark -> "pdm-1.0",
rightsstatements.org statements such as NoC-US -> license_not_accepted, ...). A capture with
only the free-text `rightsStatement` is `license_ambiguous`; with neither, `license_missing`.
The search result's own rights fields only select what to fetch; they decide nothing.

Image: the largest JPEG derivative in `imageLinks`, by its `t` parameter: g ("full-size"),
then v (2560 px), q (1600 px), w (760 px), r (300 px); the URL is kept as the API gives it."""

import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from catalog.connectors.base import Candidate, Connector, Fetcher, MalformedPayload, PageRequest
from catalog.connectors.text import text
from catalog.licenses import LICENSE_AMBIGUOUS, LICENSE_MISSING, normalize_license

API = "https://api.repo.nypl.org/api/v1/items"
SEARCH_URL = f"{API}/search"
DETAILS_URL = f"{API}/item_details"
PAGE_SIZE = 500
INSTITUTION = "The New York Public Library"
MISSING_RECORD_ID = "missing_record_id"
MISSING_IMAGE_URL = "missing_image_url"
IMAGE_TYPES = ("g", "v", "q", "w", "r")  # largest first; t, b and f are thumbnails
_SUBJECT_PARTS = ("topic", "geographic", "temporal")


def _list(value: Any) -> list:
    """A value the API gives as a list, or as its only element, or not at all."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _auth_headers() -> dict[str, str]:
    token = settings.NYPL_API_TOKEN
    if not token:
        raise ImproperlyConfigured("NYPL_API_TOKEN is not set: the NYPL API needs a token.")
    return {"Authorization": f'Token token="{token}"'}


class NyplConnector(Connector):
    name = "nypl"
    institution = INSTITUTION

    def first_request(self, *, since: date | None) -> PageRequest:
        params = {"q": "CC_0", "field": "use_rtxt_s", "page": 1, "per_page": PAGE_SIZE}
        return PageRequest(SEARCH_URL, params, _auth_headers())

    def next_request(self, payload: Any, current: PageRequest) -> PageRequest | None:
        request = self._search(payload)[0]
        page, total_pages = text(request.get("page")), text(request.get("totalPages"))
        if not page.isdigit() or not total_pages.isdigit():
            raise MalformedPayload("NYPL search without page/totalPages")
        if int(page) >= int(total_pages):
            return None
        return current.with_params(page=int(page) + 1)

    @staticmethod
    def _search(payload: Any) -> tuple[dict, list]:
        api = payload.get("nyplAPI") if isinstance(payload, dict) else None
        request = api.get("request") if isinstance(api, dict) else None
        response = api.get("response") if isinstance(api, dict) else None
        if not isinstance(request, dict) or not isinstance(response, dict):
            raise MalformedPayload("not an NYPL search response")
        return request, _list(response.get("result"))

    def pages(self, fetcher: Fetcher, *, since: date | None = None) -> Iterator[Any]:
        seen: set[str] = set()
        request: PageRequest | None = self.first_request(since=since)
        while request is not None:
            search = fetcher.get_json(request.url, params=request.params, headers=request.headers)
            for result in self._search(search)[1]:
                uuid = text(result.get("uuid")) if isinstance(result, dict) else ""
                if not uuid or uuid in seen:
                    continue
                try:
                    details = fetcher.get_json(f"{DETAILS_URL}/{uuid}", headers=request.headers)
                except httpx.HTTPStatusError as exc:
                    if exc.response.status_code != 404:
                        raise
                    continue
                seen.add(uuid)
                seen.update(text(c.get("uuid")) for c in self._captures(details))
                yield details
            request = self.next_request(search, request)

    @staticmethod
    def _details(payload: Any) -> dict:
        api = payload.get("nyplAPI") if isinstance(payload, dict) else None
        response = api.get("response") if isinstance(api, dict) else None
        if not isinstance(response, dict) or not isinstance(response.get("mods"), dict):
            raise MalformedPayload("not an NYPL item_details response")
        return response

    def _captures(self, payload: Any) -> list[dict]:
        siblings = self._details(payload).get("sibling_captures")
        captures = _list(siblings.get("capture")) if isinstance(siblings, dict) else []
        return [c for c in captures if isinstance(c, dict)]

    def parse_page(self, payload: Any) -> list[Candidate]:
        mods = self._details(payload)["mods"]
        item = self._item_fields(mods)
        return [self._candidate(capture, item) for capture in self._captures(payload)]

    def _candidate(self, capture: dict, item: dict[str, Any]) -> Candidate:
        uri, statement = capture.get("rightsStatementURI"), capture.get("rightsStatement")
        image_url = self._image_url(capture.get("imageLinks"))
        candidate = Candidate(
            source=self.name,
            source_record_id=text(capture.get("uuid")),
            original_url=image_url,
            landing_url=text(capture.get("itemLink")),
            title=text(capture.get("title")) or item["title"],
            mime_type="image/jpeg" if image_url else "",
            evidence={"rightsStatementURI": uri, "rightsStatement": statement},
            creator=item["creator"],
            creator_url=item["creator_url"],
            description=item["description"],
            creation_date=item["creation_date"],
            institution=item["institution"],
            tags=list(item["tags"]),
        )
        if not candidate.source_record_id:
            return candidate.reject(MISSING_RECORD_ID)
        if text(uri):
            decision = normalize_license(text(uri))
            if not decision.accepted:
                return candidate.reject(decision.reason)
        elif text(statement):
            return candidate.reject(LICENSE_AMBIGUOUS)
        else:
            return candidate.reject(LICENSE_MISSING)
        if not candidate.original_url:
            return candidate.reject(MISSING_IMAGE_URL)
        candidate.license = decision.code
        return candidate

    @staticmethod
    def _image_url(image_links: Any) -> str:
        links = _list(image_links.get("imageLink")) if isinstance(image_links, dict) else []
        by_type: dict[str, str] = {}
        for link in links:
            url = text(link)
            kind = parse_qs(urlsplit(url).query).get("t", [""])[0]
            by_type.setdefault(kind, url)
        return next((by_type[t] for t in IMAGE_TYPES if by_type.get(t)), "")

    def _item_fields(self, mods: dict) -> dict[str, Any]:
        """What the item's MODS record gives every capture."""
        titles = [t for t in _list(mods.get("titleInfo")) if isinstance(t, dict)]
        title = next(
            (t for t in titles if t.get("usage") == "primary"), titles[0] if titles else {}
        )
        names = [n for n in _list(mods.get("name")) if isinstance(n, dict)]
        creator = next((n for n in names if n.get("usage") == "primary"), None)
        return {
            "title": text(title.get("title")),
            "creator": text(creator.get("namePart")) if creator else "",
            "creator_url": text(creator.get("valueURI")) if creator else "",
            "description": "\n\n".join(
                " ".join(text(a).split()) for a in _list(mods.get("abstract")) if text(a)
            ),
            "creation_date": self._date(mods.get("originInfo")),
            "institution": self._institution(mods.get("location")),
            "tags": self._tags(mods.get("subject")),
        }

    @staticmethod
    def _date(origin_info: Any) -> str:
        """dateCreated, else dateIssued, as written: the key date, or `start-end`."""
        origins = [o for o in _list(origin_info) if isinstance(o, dict)]
        for key in ("dateCreated", "dateIssued"):
            dates = [d for o in origins for d in _list(o.get(key)) if text(d)]
            if not dates:
                continue
            start = next(
                (d for d in dates if isinstance(d, dict) and d.get("point") == "start"), None
            )
            end = next((d for d in dates if isinstance(d, dict) and d.get("point") == "end"), None)
            if start is not None and end is not None:
                return f"{text(start)}-{text(end)}"
            key_date = next(
                (d for d in dates if isinstance(d, dict) and d.get("keyDate") == "yes"), None
            )
            return text(key_date if key_date is not None else dates[0])
        return ""

    @staticmethod
    def _institution(location: Any) -> str:
        places = [
            p
            for loc in _list(location)
            if isinstance(loc, dict)
            for p in _list(loc.get("physicalLocation"))
            if isinstance(p, dict)
        ]
        division = next((text(p) for p in places if p.get("type") == "division"), "")
        return f"{INSTITUTION}, {division}" if division else INSTITUTION

    @staticmethod
    def _tags(subjects: Any) -> list[str]:
        tags: list[str] = []
        for subject in _list(subjects):
            if not isinstance(subject, dict):
                continue
            for part in _SUBJECT_PARTS:
                for value in _list(subject.get(part)):
                    tag = re.sub(r"\s+", " ", text(value))
                    if tag and tag not in tags:
                        tags.append(tag)
        return tags
