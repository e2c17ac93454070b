"""The Cleveland Museum of Art Open Access API (https://openaccess-api.clevelandart.org/), no key.

`GET /api/artworks/?cc0=1&has_image=1&skip=N&limit=100` answers
`{"info": {"total": n, "parameters": {...}}, "data": [artwork, ...]}`; the next page is
`skip + limit` until that reaches `info.total` (or a page comes back empty). The API has no
"changed since" filter, so `since` is not used: every run reads the whole CC0 set.

License: accepted ("cc0-1.0") only when `share_license_status` is exactly "CC0"; absent or
empty is `license_missing`, any other value `license_not_accepted`. A "CC0" record that also
carries a `copyright` line contradicts itself and is rejected as ambiguous.

Image: `images.print` (a JPEG, about 3400 px on the long side), else `images.web` (about
900 px). `images.full` is bigger but is an uncompressed TIFF of tens of megabytes and not
present on every record, so the largest JPEG is the one taken."""

from datetime import date
from typing import Any

from catalog.connectors.base import Candidate, Connector, MalformedPayload, PageRequest
from catalog.connectors.text import plain_text, text
from catalog.licenses import CC0, LICENSE_AMBIGUOUS, LICENSE_MISSING, LICENSE_NOT_ACCEPTED

ARTWORKS_URL = "https://openaccess-api.clevelandart.org/api/artworks/"
PAGE_SIZE = 100
MISSING_RECORD_ID = "missing_record_id"
MISSING_IMAGE_URL = "missing_image_url"
IMAGE_VERSIONS = ("print", "web")  # in order of preference
_MIME_BY_EXTENSION = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
                      "tif": "image/tiff", "tiff": "image/tiff"}  # fmt: skip


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ClevelandMuseumConnector(Connector):
    name = "cleveland_museum"
    institution = "The Cleveland Museum of Art"

    def first_request(self, *, since: date | None) -> PageRequest:
        return PageRequest(ARTWORKS_URL, {"cc0": 1, "has_image": 1, "skip": 0, "limit": PAGE_SIZE})

    def next_request(self, payload: Any, current: PageRequest) -> PageRequest | None:
        data, total = self._page(payload)
        skip = int(current.params.get("skip", 0)) + int(current.params.get("limit", PAGE_SIZE))
        if not data or skip >= total:
            return None
        return current.with_params(skip=skip)

    @staticmethod
    def _page(payload: Any) -> tuple[list, int]:
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise MalformedPayload("Cleveland page without a data list")
        info = payload.get("info")
        total = info.get("total") if isinstance(info, dict) else None
        if not isinstance(total, int) or isinstance(total, bool):
            raise MalformedPayload("Cleveland page without info.total")
        return payload["data"], total

    def parse_page(self, payload: Any) -> list[Candidate]:
        data, _ = self._page(payload)
        return [self._candidate(record) for record in data]

    def _candidate(self, record: Any) -> Candidate:
        if not isinstance(record, dict):
            return Candidate(source=self.name, source_record_id="").reject(MISSING_RECORD_ID)
        status = record.get("share_license_status")
        candidate = Candidate(
            source=self.name,
            source_record_id="" if record.get("id") in (None, "") else str(record["id"]),
            landing_url=text(record.get("url")),
            title=text(record.get("title")),
            creator="; ".join(
                text(c.get("description"))
                for c in record.get("creators") or []
                if isinstance(c, dict) and text(c.get("description"))
            ),
            description=plain_text(record.get("digital_description"))
            or plain_text(record.get("wall_description")),
            creation_date=text(record.get("creation_date")),
            institution=self.institution,
            evidence={"share_license_status": status, "copyright": record.get("copyright")},
        )
        image = self._image(record.get("images"))
        if image:
            candidate.original_url = text(image.get("url"))
            candidate.width, candidate.height = _int(image.get("width")), _int(image.get("height"))
            extension = candidate.original_url.rsplit(".", 1)[-1].lower()
            candidate.mime_type = _MIME_BY_EXTENSION.get(extension, "")

        if not candidate.source_record_id:
            return candidate.reject(MISSING_RECORD_ID)
        if status in (None, ""):
            return candidate.reject(LICENSE_MISSING)
        if status != "CC0":
            return candidate.reject(LICENSE_NOT_ACCEPTED)
        if text(record.get("copyright")):
            return candidate.reject(LICENSE_AMBIGUOUS)
        if not candidate.original_url:
            return candidate.reject(MISSING_IMAGE_URL)
        candidate.license = CC0
        return candidate

    @staticmethod
    def _image(images: Any) -> dict | None:
        """The preferred image version that has a URL."""
        if not isinstance(images, dict):
            return None
        for version in IMAGE_VERSIONS:
            image = images.get(version)
            if isinstance(image, dict) and text(image.get("url")):
                return image
        return None
