"""The Metropolitan Museum of Art Collection API (https://metmuseum.github.io/), no key.

A run is a list call and then one call per object:

- `GET /public/collection/v1/objects[?metadataDate=YYYY-MM-DD]` answers
  `{"total": n, "objectIDs": [...]}` (every object, or those whose metadata changed since the
  date; `objectIDs` is null when there are none);
- `GET /public/collection/v1/objects/{objectID}` answers one object. `pages()` yields these
  object payloads, and `parse_page()` reads one of them.

License: the Met releases images of the objects it flags `isPublicDomain: true` under its Open
Access policy. A candidate is accepted ("cc0-1.0": the institution dedicates images of
public-domain works under CC0) only when `isPublicDomain` is exactly `True` (not "true", not 1)
and `rightsAndReproduction` (the Met's copyright line) is empty; a public-domain flag next to a
copyright line is a contradiction, rejected as ambiguous.
One candidate for `primaryImage` (id `"{objectID}"`) and one per `additionalImages` entry
(id `"{objectID}#{n}"`, n from 1)."""

from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import httpx

from catalog.connectors.base import Candidate, Connector, Fetcher, MalformedPayload, PageRequest
from catalog.connectors.text import text
from catalog.licenses import CC0, LICENSE_AMBIGUOUS

API = "https://collectionapi.metmuseum.org/public/collection/v1"
OBJECTS_URL = f"{API}/objects"
NOT_PUBLIC_DOMAIN = "not_public_domain"
MISSING_RECORD_ID = "missing_record_id"
MISSING_IMAGE_URL = "missing_image_url"
# Keys every object payload of the API has; a dict with none of them is not an object.
_OBJECT_KEYS = ("objectID", "isPublicDomain", "primaryImage")
_MIME_BY_EXTENSION = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
                      "tif": "image/tiff", "tiff": "image/tiff", "gif": "image/gif"}  # fmt: skip


def _mime_type(url: str) -> str:
    path = urlsplit(url).path
    return _MIME_BY_EXTENSION.get(path.rsplit(".", 1)[-1].lower(), "") if "." in path else ""


class MetropolitanMuseumConnector(Connector):
    name = "metropolitan_museum"
    institution = "The Metropolitan Museum of Art"

    def first_request(self, *, since: date | None) -> PageRequest:
        params = {"metadataDate": since.isoformat()} if since else {}
        return PageRequest(OBJECTS_URL, params)

    def next_request(self, payload: Any, current: PageRequest) -> PageRequest | None:
        return None  # the list call answers every objectID at once

    def object_ids(self, payload: Any) -> list[int]:
        if not isinstance(payload, dict) or "objectIDs" not in payload:
            raise MalformedPayload("Met object list without objectIDs")
        ids = payload["objectIDs"] or []  # null when nothing matched
        if not isinstance(ids, list):
            raise MalformedPayload("Met objectIDs is not a list")
        return ids

    def pages(self, fetcher: Fetcher, *, since: date | None = None) -> Iterator[Any]:
        """The object list, then each object; an objectID the API no longer knows (404) is
        skipped rather than ending the run."""
        request = self.first_request(since=since)
        for object_id in self.object_ids(fetcher.get_json(request.url, params=request.params)):
            try:
                yield fetcher.get_json(f"{OBJECTS_URL}/{object_id}")
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 404:
                    raise

    def parse_page(self, payload: Any) -> list[Candidate]:
        if not isinstance(payload, dict) or not any(key in payload for key in _OBJECT_KEYS):
            raise MalformedPayload("not a Met object (GET /objects/{objectID})")
        object_id = payload.get("objectID")
        record_id = "" if object_id in (None, "") else str(object_id)
        evidence = {
            "isPublicDomain": payload.get("isPublicDomain"),
            "rightsAndReproduction": payload.get("rightsAndReproduction"),
        }
        if payload.get("isPublicDomain") is not True:
            license_code, reason = None, NOT_PUBLIC_DOMAIN
        elif text(payload.get("rightsAndReproduction")):
            license_code, reason = None, LICENSE_AMBIGUOUS
        else:
            license_code, reason = CC0, None

        primary = text(payload.get("primaryImage"))
        if not record_id:
            return [self._candidate(payload, "", primary, evidence).reject(MISSING_RECORD_ID)]

        additional = payload.get("additionalImages")
        images = [(record_id, primary)]
        if isinstance(additional, list):
            images += [(f"{record_id}#{n}", url) for n, url in enumerate(additional, start=1)]

        candidates = []
        for candidate_id, image_url in images:
            candidate = self._candidate(payload, candidate_id, text(image_url), evidence)
            if reason:
                candidate.reject(reason)
            elif not candidate.original_url:
                candidate.reject(MISSING_IMAGE_URL)
            else:
                candidate.license = license_code
            candidates.append(candidate)
        return candidates

    def _candidate(self, obj: dict, record_id: str, image_url: str, evidence: dict) -> Candidate:
        tags = obj.get("tags") if isinstance(obj.get("tags"), list) else []
        return Candidate(
            source=self.name,
            source_record_id=record_id,
            original_url=image_url,
            landing_url=text(obj.get("objectURL")),
            title=text(obj.get("title")),
            creator=text(obj.get("artistDisplayName")),
            creator_url=text(obj.get("artistULAN_URL")) or text(obj.get("artistWikidata_URL")),
            creation_date=text(obj.get("objectDate")),
            institution=self.institution,
            mime_type=_mime_type(image_url),
            tags=[t["term"] for t in tags if isinstance(t, dict) and text(t.get("term"))],
            evidence=dict(evidence),
        )
