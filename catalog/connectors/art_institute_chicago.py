"""The Art Institute of Chicago API (https://api.artic.edu/docs/), no key.

`GET https://api.artic.edu/api/v1/artworks?fields=...&limit=100&page=N` answers
`{"pagination": {"total", "limit", "offset", "total_pages", "current_page", "next_url"},
"data": [artwork, ...], "config": {"iiif_url": ..., "website_url": ...}}`; the next page is
`pagination.next_url` until it is absent or null. The listing has no "changed since" filter,
so `since` is not used. (For a full copy the API's documentation suggests its data dumps;
deep pages of the listing may be throttled.)

License: accepted ("cc0-1.0": the institution dedicates images of public-domain works under
CC0) only when `is_public_domain` is exactly `True` and `copyright_notice` is empty (a
public-domain flag next to a copyright notice is rejected as ambiguous); otherwise
`not_public_domain`.

Image: `config.iiif_url + "/" + image_id + "/full/843,/0/default.jpg"`, the size the API's
documentation recommends (843 px wide, JPEG)."""

from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from catalog.connectors.base import Candidate, Connector, MalformedPayload, PageRequest
from catalog.connectors.text import text
from catalog.licenses import CC0, LICENSE_AMBIGUOUS

ARTWORKS_URL = "https://api.artic.edu/api/v1/artworks"
WEBSITE = "https://www.artic.edu"
PAGE_SIZE = 100
FIELDS = (
    "id,title,image_id,is_public_domain,copyright_notice,artist_display,artist_title,"
    "artist_id,date_display,description,term_titles,department_title,updated_at"
)
IMAGE_SIZE = "full/843,/0/default.jpg"
NOT_PUBLIC_DOMAIN = "not_public_domain"
MISSING_RECORD_ID = "missing_record_id"
MISSING_IMAGE_URL = "missing_image_url"


class ArtInstituteChicagoConnector(Connector):
    name = "art_institute_chicago"
    institution = "Art Institute of Chicago"

    def first_request(self, *, since: date | None) -> PageRequest:
        return PageRequest(ARTWORKS_URL, {"fields": FIELDS, "limit": PAGE_SIZE, "page": 1})

    def next_request(self, payload: Any, current: PageRequest) -> PageRequest | None:
        self._page(payload)
        next_url = text(payload["pagination"].get("next_url"))
        if not next_url:
            return None
        parts = urlsplit(next_url)
        # next_url carries page and limit; keep our other parameters (fields) in any case.
        params = {**current.params, **dict(parse_qsl(parts.query))}
        return PageRequest(urlunsplit(parts._replace(query="", fragment="")), params)

    @staticmethod
    def _page(payload: Any) -> tuple[list, str]:
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise MalformedPayload("AIC page without a data list")
        if not isinstance(payload.get("pagination"), dict):
            raise MalformedPayload("AIC page without pagination")
        config = payload.get("config")
        iiif_url = text(config.get("iiif_url")) if isinstance(config, dict) else ""
        if not iiif_url:
            raise MalformedPayload("AIC page without config.iiif_url")
        return payload["data"], iiif_url.rstrip("/")

    def parse_page(self, payload: Any) -> list[Candidate]:
        data, iiif_url = self._page(payload)
        return [self._candidate(record, iiif_url) for record in data]

    def _candidate(self, record: Any, iiif_url: str) -> Candidate:
        if not isinstance(record, dict):
            return Candidate(source=self.name, source_record_id="").reject(MISSING_RECORD_ID)
        record_id = "" if record.get("id") in (None, "") else str(record["id"])
        image_id = text(record.get("image_id"))
        artist_display = text(record.get("artist_display"))
        artist_id = record.get("artist_id")
        terms = record.get("term_titles") if isinstance(record.get("term_titles"), list) else []
        candidate = Candidate(
            source=self.name,
            source_record_id=record_id,
            original_url=f"{iiif_url}/{image_id}/{IMAGE_SIZE}" if image_id else "",
            landing_url=f"{WEBSITE}/artworks/{record_id}" if record_id else "",
            title=text(record.get("title")),
            creator=text(record.get("artist_title")) or artist_display.split("\n")[0].strip(),
            creator_url=f"{WEBSITE}/artists/{artist_id}" if artist_id not in (None, "") else "",
            # AIC licenses its descriptions under CC BY 4.0, unlike the images: not copied.
            description="",
            creation_date=text(record.get("date_display")),
            institution=self.institution,
            mime_type="image/jpeg" if image_id else "",
            tags=[text(t) for t in terms if text(t)],
            evidence={
                "is_public_domain": record.get("is_public_domain"),
                "copyright_notice": record.get("copyright_notice"),
            },
        )
        if not record_id:
            return candidate.reject(MISSING_RECORD_ID)
        if record.get("is_public_domain") is not True:
            return candidate.reject(NOT_PUBLIC_DOMAIN)
        if text(record.get("copyright_notice")):
            return candidate.reject(LICENSE_AMBIGUOUS)
        if not candidate.original_url:
            return candidate.reject(MISSING_IMAGE_URL)
        candidate.license = CC0
        return candidate
