"""Brooklyn Museum Open Collection API v2 (https://www.brooklynmuseum.org/api/), key in
settings.BROOKLYN_API_KEY sent as the `api_key` header.

A run is a list call and then one call per object:

- `GET /api/v2/object?has_images=1&rights_type_permissive=1&limit=35&offset=N` answers
  `{"message": "Success.", "errorCode": "0", "data": [object, ...]}` without the objects'
  images; pages run until one comes back empty. There is no "changed since" filter, so
  `since` is not used.
- `GET /api/v2/object/{id}` answers `{"message", "errorCode", "data": object}` with its
  `images`. `pages()` yields these, and `parse_page()` reads one of them (a list page is read
  too; its objects have no images).

One candidate per image, id `"{object id}/{image id}"`; an object without images gives one
candidate, id `"{object id}"`, rejected `missing_image_url` (when its license passes).

License, from the object's `rights_type` (`name`, `public_name`, HTML `description`): the
Creative Commons links in the description and the `public_name` are each decided by
`normalize_license` (`name` is the museum's internal key and decides nothing):
- no link and no public_name: `license_missing`;
- any of them a CC license with conditions (CC BY, BY-NC, ...): `license_restricted`;
- accepted only when exactly one accepted code (CC0 or PDM) comes out, and whatever else is
  there is free text that only sounds public ("Public domain"), which agrees without
  deciding; free text alone ("No known copyright restrictions") stays `license_ambiguous`;
- anything else: the first rejection reason, or `license_ambiguous` for a conflict.
An object with a `copyright` line or `copyright_restricted` set, or an image with
`copyright_restricted` set, is `license_restricted` whatever the rights type says."""

import html
import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from catalog.connectors.base import Candidate, Connector, Fetcher, MalformedPayload, PageRequest
from catalog.connectors.text import plain_text, text
from catalog.licenses import (
    LICENSE_AMBIGUOUS,
    LICENSE_MISSING,
    LICENSE_RESTRICTED,
    normalize_license,
)

API = "https://www.brooklynmuseum.org/api/v2"
OBJECTS_URL = f"{API}/object"
WEBSITE = "https://www.brooklynmuseum.org/opencollection"
PAGE_SIZE = 35
MISSING_RECORD_ID = "missing_record_id"
MISSING_IMAGE_URL = "missing_image_url"
_CC_LINK = re.compile(r"""href\s*=\s*["']([^"']*creativecommons\.org[^"']*)["']""", re.I)
_MIME_BY_EXTENSION = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
                      "tif": "image/tiff", "tiff": "image/tiff", "gif": "image/gif"}  # fmt: skip


def _auth_headers() -> dict[str, str]:
    key = settings.BROOKLYN_API_KEY
    if not key:
        raise ImproperlyConfigured("BROOKLYN_API_KEY is not set: the Brooklyn API needs a key.")
    return {"api_key": key}


def license_decision(rights_type: Any) -> tuple[str | None, str | None]:
    """(accepted code, None) or (None, rejection reason) for one `rights_type`."""
    if not isinstance(rights_type, dict):
        return None, LICENSE_MISSING
    description = rights_type.get("description")
    links = _CC_LINK.findall(description) if isinstance(description, str) else []
    statements = list(dict.fromkeys(html.unescape(link).strip() for link in links))
    if text(rights_type.get("public_name")):
        statements.append(text(rights_type["public_name"]))
    decisions = [normalize_license(statement) for statement in statements]
    if not decisions:
        return None, LICENSE_MISSING
    if any(d.reason == LICENSE_RESTRICTED for d in decisions):
        return None, LICENSE_RESTRICTED
    codes = {d.code for d in decisions if d.accepted}
    others = [d.reason for d in decisions if not d.accepted]
    if len(codes) == 1 and all(reason == LICENSE_AMBIGUOUS for reason in others):
        return codes.pop(), None
    if codes:  # two accepted codes, or one next to a statement that is not merely vague
        return None, LICENSE_AMBIGUOUS
    return None, others[0]


class BrooklynMuseumConnector(Connector):
    name = "brooklyn_museum"
    institution = "Brooklyn Museum"

    def first_request(self, *, since: date | None) -> PageRequest:
        params = {"has_images": 1, "rights_type_permissive": 1, "limit": PAGE_SIZE, "offset": 0}
        return PageRequest(OBJECTS_URL, params, _auth_headers())

    def next_request(self, payload: Any, current: PageRequest) -> PageRequest | None:
        if not self._objects(payload):
            return None
        limit = int(current.params.get("limit", PAGE_SIZE))
        return current.with_params(offset=current.params["offset"] + limit)

    @staticmethod
    def _objects(payload: Any) -> list:
        if not isinstance(payload, dict) or "data" not in payload:
            raise MalformedPayload("not a Brooklyn Museum API response")
        message = payload.get("message")
        if (message is not None and text(message).lower() != "success.") or text(
            payload.get("errorCode", "0")
        ) != "0":
            raise MalformedPayload(f"Brooklyn Museum API error: {message!r}")
        data = payload["data"]
        if isinstance(data, dict):
            return [data]
        if isinstance(data, list):
            return data
        raise MalformedPayload("Brooklyn Museum data is neither an object nor a list")

    def pages(self, fetcher: Fetcher, *, since: date | None = None) -> Iterator[Any]:
        request: PageRequest | None = self.first_request(since=since)
        while request is not None:
            listing = fetcher.get_json(request.url, params=request.params, headers=request.headers)
            for obj in self._objects(listing):
                object_id = text(obj.get("id")) if isinstance(obj, dict) else ""
                if not object_id:
                    continue
                try:
                    yield fetcher.get_json(f"{OBJECTS_URL}/{object_id}", headers=request.headers)
                except httpx.HTTPStatusError as exc:
                    if exc.response.status_code != 404:
                        raise
            request = self.next_request(listing, request)

    def parse_page(self, payload: Any) -> list[Candidate]:
        candidates: list[Candidate] = []
        for obj in self._objects(payload):
            candidates.extend(self._candidates(obj))
        return candidates

    def _candidates(self, obj: Any) -> list[Candidate]:
        if not isinstance(obj, dict):
            return [Candidate(source=self.name, source_record_id="").reject(MISSING_RECORD_ID)]
        object_id = text(obj.get("id"))
        evidence = {
            "rights_type": obj.get("rights_type"),
            "copyright": obj.get("copyright"),
            "copyright_restricted": obj.get("copyright_restricted"),
        }
        code, reason = license_decision(obj.get("rights_type"))
        if text(obj.get("copyright")) or obj.get("copyright_restricted"):
            code, reason = None, LICENSE_RESTRICTED
        images = [i for i in obj.get("images") or [] if isinstance(i, dict)]
        if not object_id or not images:
            candidate = self._candidate(obj, object_id, {}, evidence)
            return [
                candidate.reject((reason or MISSING_IMAGE_URL) if object_id else MISSING_RECORD_ID)
            ]

        candidates = []
        for image in images:
            image_id = text(image.get("id"))
            candidate = self._candidate(
                obj, f"{object_id}/{image_id}" if image_id else "", image, evidence
            )
            candidate.evidence["image_copyright_restricted"] = image.get("copyright_restricted")
            if not image_id:
                candidate.reject(MISSING_RECORD_ID)
            elif reason:
                candidate.reject(reason)
            elif image.get("copyright_restricted"):
                candidate.reject(LICENSE_RESTRICTED)
            elif not candidate.original_url:
                candidate.reject(MISSING_IMAGE_URL)
            else:
                candidate.license = code
            candidates.append(candidate)
        return candidates

    def _candidate(self, obj: dict, record_id: str, image: dict, evidence: dict) -> Candidate:
        url = text(image.get("largest_derivative_url"))
        if url and not urlsplit(url).scheme:
            url = f"https://{url}"  # the API writes the CDN address without a scheme
        size = next(
            (
                d
                for d in image.get("derivatives") or []
                if isinstance(d, dict) and d.get("size") == image.get("largest_derivative")
            ),
            {},
        )
        artists = [a for a in obj.get("artists") or [] if isinstance(a, dict)]
        artist = next((a for a in artists if a.get("rank") == 1), artists[0] if artists else None)
        object_id = text(obj.get("id"))
        filename = text(image.get("filename")) or url
        return Candidate(
            source=self.name,
            source_record_id=record_id,
            original_url=url,
            landing_url=f"{WEBSITE}/objects/{object_id}" if object_id else "",
            title=text(obj.get("title")),
            creator=text(artist.get("name")) if artist else "",
            creator_url=f"{WEBSITE}/artists/{artist['id']}"
            if artist and text(artist.get("id"))
            else "",
            description=plain_text(obj.get("description")),
            creation_date=text(obj.get("object_date")),
            institution=self.institution,
            width=size.get("width") if isinstance(size.get("width"), int) else None,
            height=size.get("height") if isinstance(size.get("height"), int) else None,
            mime_type=_MIME_BY_EXTENSION.get(filename.rsplit(".", 1)[-1].lower(), "")
            if url
            else "",
            evidence=dict(evidence),
        )
