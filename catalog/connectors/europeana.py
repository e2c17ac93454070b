"""Europeana, through the Search API.

Endpoint: https://api.europeana.eu/record/v2/search.json with `wskey` (settings.EUROPEANA_API_KEY),
`query=*` (or `timestamp_update:[<since> TO NOW]`), `qf=TYPE:IMAGE`, a `qf` on RIGHTS
restricting to the PDM 1.0 and CC0 1.0 URIs, `reusability=open`, `media=true`,
`profile=standard`, `rows=100`. Cursor paging: the first request sends `cursor=*`, each next
one the previous response's `nextCursor`; the last page has none.

License decision (strict): every value of the item's `rights` must be the PDM 1.0 or the
CC0 1.0 URI as normalize_license decides, and all of them the same one.
"""

from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from catalog.connectors.base import Candidate, Connector, MalformedPayload, PageRequest
from catalog.connectors.text import plain_text
from catalog.licenses import LICENSE_MISSING, normalize_license

API_URL = "https://api.europeana.eu/record/v2/search.json"
ITEM_URL = "https://www.europeana.eu/item"
PAGE_SIZE = 100  # the API's maximum
RIGHTS_FILTER = (
    'RIGHTS:"http://creativecommons.org/publicdomain/mark/1.0/"'
    ' OR RIGHTS:"http://creativecommons.org/publicdomain/zero/1.0/"'
)

LICENSE_CONFLICT = "license_conflict"
MISSING_RECORD_ID = "missing_record_id"
MISSING_IMAGE_URL = "missing_image_url"


def _strings(value: Any) -> list[str]:
    """A Europeana multi-valued field (a list, sometimes a bare string) as its strings."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def _lang_aware(value: Any) -> list[str]:
    """A `...LangAware` map's values: English first, then the default, then the rest."""
    if not isinstance(value, dict):
        return []
    keys = ["en", "def", *sorted(key for key in value if key not in ("en", "def"))]
    for key in keys:
        if strings := _strings(value.get(key)):
            return strings
    return []


def _label(value: Any) -> str:
    """One `{"def": "..."}`-style label (or a bare string)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        for key in ("en", "def", *value):
            if isinstance(value.get(key), str) and value[key].strip():
                return value[key].strip()
    return ""


def _is_uri(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def license_decision(rights: Any) -> tuple[str | None, str | None]:
    """(license code, None) when accepted, else (None, reason)."""
    values = rights if isinstance(rights, list) else [rights] if rights is not None else []
    if not values:
        return None, LICENSE_MISSING
    codes = set()
    for value in values:
        decision = normalize_license(value if isinstance(value, str) else None)
        if not decision.accepted:
            return None, decision.reason
        codes.add(decision.code)
    if len(codes) > 1:
        return None, LICENSE_CONFLICT  # e.g. both PDM and CC0: which one applies is unclear
    return codes.pop(), None


class EuropeanaConnector(Connector):
    name = "europeana"
    institution = "Europeana"

    def first_request(self, *, since: date | None) -> PageRequest:
        key = settings.EUROPEANA_API_KEY
        if not key:
            raise ImproperlyConfigured("Set EUROPEANA_API_KEY to harvest Europeana.")
        query = "*"
        if since is not None:
            if isinstance(since, datetime):
                start = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
            else:
                start = datetime(since.year, since.month, since.day, tzinfo=UTC)
            query = f"timestamp_update:[{start.strftime('%Y-%m-%dT%H:%M:%SZ')} TO NOW]"
        params = {
            "wskey": key,
            "query": query,
            "qf": ["TYPE:IMAGE", RIGHTS_FILTER],
            "reusability": "open",
            "media": "true",
            "profile": "standard",
            "rows": PAGE_SIZE,
            "cursor": "*",
        }
        return PageRequest(API_URL, params)

    def next_request(self, payload: Any, current: PageRequest) -> PageRequest | None:
        if not isinstance(payload, dict):
            return None
        cursor = payload.get("nextCursor")
        if not isinstance(cursor, str) or not cursor or not payload.get("items"):
            return None
        return current.with_params(cursor=cursor)

    def parse_page(self, payload: Any) -> list[Candidate]:
        if not isinstance(payload, dict):
            raise MalformedPayload("Europeana response is not an object")
        if payload.get("success") is not True:
            raise MalformedPayload(f"Europeana error: {payload.get('error')!r}")
        items = payload.get("items")
        if items is None and payload.get("itemsCount") == 0:
            items = []
        if not isinstance(items, list):
            raise MalformedPayload("Europeana `items` is not a list")
        candidates = []
        for item in items:
            if not isinstance(item, dict):
                candidates.append(Candidate(self.name, "").reject(MISSING_RECORD_ID))
                continue
            if item.get("type") not in (None, "IMAGE"):
                continue  # the query asks for images only; anything else is not ours
            candidates.append(self._candidate(item))
        return candidates

    def _creator(self, item: dict) -> str:
        """dcCreator, with entity URIs resolved through edmAgent/edmAgentLabel."""
        uris, labels = item.get("edmAgent"), item.get("edmAgentLabel")
        agents = {}
        if isinstance(uris, list) and isinstance(labels, list):  # parallel lists
            for uri, label in zip(uris, labels, strict=False):
                if isinstance(uri, str) and _label(label):
                    agents[uri.strip()] = plain_text(_label(label))
        creators = _strings(item.get("dcCreator")) or _lang_aware(item.get("dcCreatorLangAware"))
        names = []
        for creator in creators:
            name = agents.get(creator, "") if _is_uri(creator) else plain_text(creator)
            if name and name not in names:
                names.append(name)
        return "; ".join(names)

    def _candidate(self, item: dict) -> Candidate:
        record_id = item.get("id") if isinstance(item.get("id"), str) else ""
        record_id = record_id.strip()
        shown_by = _strings(item.get("edmIsShownBy"))
        original_url = shown_by[0] if shown_by and _is_uri(shown_by[0]) else ""
        titles = _strings(item.get("title")) or _lang_aware(item.get("dcTitleLangAware"))
        descriptions = _lang_aware(item.get("dcDescriptionLangAware")) or _strings(
            item.get("dcDescription")
        )
        tags = []
        for label in item.get("edmConceptLabel") or []:
            tag = _label(label)
            if tag and tag not in tags:
                tags.append(tag)
        years = _strings(item.get("year"))
        providers = _strings(item.get("dataProvider"))
        candidate = Candidate(
            source=self.name,
            source_record_id=record_id,
            original_url=original_url,
            landing_url=f"{ITEM_URL}{record_id}" if record_id.startswith("/") else "",
            title=plain_text(titles[0]) if titles else "",
            creator=self._creator(item),
            description=" ".join(plain_text(value) for value in descriptions).strip(),
            creation_date=years[0] if years else "",
            institution=providers[0] if providers else "",
            tags=tags,
            evidence={"rights": item.get("rights")},
        )
        if not record_id:
            return candidate.reject(MISSING_RECORD_ID)
        if not original_url:
            return candidate.reject(MISSING_IMAGE_URL)
        candidate.license, candidate.rejection = license_decision(item.get("rights"))
        return candidate
