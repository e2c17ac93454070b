"""Wikimedia Commons, through the MediaWiki Action API.

Endpoint: https://commons.wikimedia.org/w/api.php, `action=query` with
`generator=allimages` (`gaisort=timestamp`, `gaidir=ascending`, `gaistart=<since>` when
given, `gailimit=50`) and `prop=imageinfo`
(`iiprop=url|size|mime|timestamp|extmetadata|sha1`), `format=json`. Paging follows the
`continue` object: the next request is the first request's parameters plus the last
`continue` object, until a response has none.

License decision (strict): only extmetadata `License` "pd" (-> pdm-1.0) or "cc0" (-> cc0-1.0),
with an empty `Restrictions`, no deletion-request, copyright-violation or license-review
category, and no `LicenseUrl` that says otherwise, is accepted.
"""

import html
import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin

from catalog.connectors.base import Candidate, Connector, MalformedPayload, PageRequest
from catalog.connectors.text import plain_text
from catalog.licenses import CC0, LICENSE_MISSING, LICENSE_UNKNOWN, PDM, normalize_license

API_URL = "https://commons.wikimedia.org/w/api.php"
SITE_URL = "https://commons.wikimedia.org/"
PAGE_SIZE = 50

# Commons' own license ids (extmetadata `License.value`); the only two accepted, and only here:
# normalize_license treats a bare "pd" as ambiguous on purpose.
COMMONS_LICENSES = {"pd": PDM, "cc0": CC0}

COMMONS_DELETION_REQUEST = "commons_deletion_request"
COMMONS_COPYRIGHT_VIOLATION = "commons_copyright_violation"
COMMONS_LICENSE_REVIEW = "commons_license_review"
RESTRICTIONS_PRESENT = "restrictions_present"
LICENSE_CONFLICT = "license_conflict"
MISSING_RECORD_ID = "missing_record_id"
MISSING_IMAGE_URL = "missing_image_url"

# Maintenance categories that put a file's license in doubt, checked in this order.
# Deletion: "Deletion requests <month> <year>", speedy deletion candidates and the
# no-source / no-permission / no-license tags (which lead to deletion).
_CATEGORY_REJECTIONS = (
    (
        COMMONS_DELETION_REQUEST,
        re.compile(
            r"deletion requests?|speedy deletion|candidates for deletion"
            r"|media without a (?:license|source)|media missing permission",
            re.IGNORECASE,
        ),
    ),
    (COMMONS_COPYRIGHT_VIOLATION, re.compile(r"copyright violation|copyvio", re.IGNORECASE)),
    # Pending or failed license reviews: "License review needed", "Flickr review needed",
    # "iNaturalist review needed", "Flickr images needing human review"... Not "Media needing
    # category review" (categorization), nor "... reviewed by FlickreviewR" (passed).
    (
        COMMONS_LICENSE_REVIEW,
        re.compile(
            r"review (?:needed|required)|needing (?:human |license )?review"
            r"|requiring (?:human |license )?review|failed (?:license )?review"
            r"|license review failed",
            re.IGNORECASE,
        ),
    ),
)
# The extmetadata fields the license decision reads; kept raw as evidence.
EVIDENCE_FIELDS = (
    "License",
    "LicenseShortName",
    "LicenseUrl",
    "UsageTerms",
    "Restrictions",
    "Copyrighted",
    "Categories",
)
EXTMETADATA_FIELDS = (
    *EVIDENCE_FIELDS,
    "Artist",
    "ImageDescription",
    "ObjectName",
    "DateTimeOriginal",
    "DateTime",
)
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def _first_href(value: Any) -> str:
    """The first link in an HTML fragment, absolute (Commons writes `//host/path`)."""
    if not isinstance(value, str):
        return ""
    match = _HREF.search(value)
    if not match:
        return ""
    url = urljoin(SITE_URL, html.unescape(match.group(1) or match.group(2) or "").strip())
    return url if url.startswith(("https://", "http://")) else ""


def _meta_value(extmetadata: dict, key: str) -> Any:
    entry = extmetadata.get(key)
    return entry.get("value") if isinstance(entry, dict) else None


def _text_value(extmetadata: dict, key: str) -> str:
    """A field's value as text; "" only when it is absent or blank (an unexpected type is
    kept as its text, so that a non-empty Restrictions is never read as empty)."""
    value = _meta_value(extmetadata, key)
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _aware(value: Any, fmt: str | None = None) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = (
            datetime.strptime(value.strip(), fmt) if fmt else datetime.fromisoformat(value.strip())
        )
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _first_info(page: dict) -> dict:
    infos = page.get("imageinfo")
    return infos[0] if isinstance(infos, list) and infos and isinstance(infos[0], dict) else {}


def license_decision(extmetadata: dict) -> tuple[str | None, str | None]:
    """(license code, None) when accepted, else (None, reason)."""
    categories = _text_value(extmetadata, "Categories")
    for reason, pattern in _CATEGORY_REJECTIONS:
        if any(pattern.search(category) for category in categories.split("|")):
            return None, reason
    if _text_value(extmetadata, "Restrictions"):
        return None, RESTRICTIONS_PRESENT
    license_id = _text_value(extmetadata, "License")
    if not license_id:
        # No machine license id (e.g. Flickr "No restrictions"): never accepted.
        decision = normalize_license(_text_value(extmetadata, "LicenseShortName"))
        return None, decision.reason or LICENSE_MISSING
    code = COMMONS_LICENSES.get(license_id)
    if code is None:
        decision = normalize_license(license_id)
        # A value normalize_license would accept but that is not one of Commons' two ids is
        # not what Commons writes for PD/CC0 files: unknown here.
        return None, decision.reason or LICENSE_UNKNOWN
    license_url = _text_value(extmetadata, "LicenseUrl")
    if license_url.startswith("//"):  # protocol-relative, as wiki links often are
        license_url = "https:" + license_url
    if license_url and normalize_license(license_url).code != code:
        return None, LICENSE_CONFLICT
    return code, None


class WikimediaCommonsConnector(Connector):
    name = "wikimedia_commons"
    institution = "Wikimedia Commons"

    def _query_params(self) -> dict[str, Any]:
        return {
            "action": "query",
            "format": "json",
            "prop": "imageinfo",
            "iiprop": "url|size|mime|timestamp|extmetadata|sha1",
            "iiextmetadatafilter": "|".join(EXTMETADATA_FIELDS),
        }

    def _list_params(self) -> dict[str, Any]:
        return {
            **self._query_params(),
            "generator": "allimages",
            "gaisort": "timestamp",
            "gaidir": "ascending",
            "gailimit": PAGE_SIZE,
        }

    def first_request(self, *, since: date | None) -> PageRequest:
        params = self._list_params()
        if since is not None:
            if isinstance(since, datetime):
                start = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
            else:
                start = datetime(since.year, since.month, since.day, tzinfo=UTC)
            params["gaistart"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        return PageRequest(API_URL, params)

    def next_request(self, payload: Any, current: PageRequest) -> PageRequest | None:
        if not isinstance(payload, dict) or "continue" not in payload:
            return None
        cont = payload["continue"]
        if not isinstance(cont, dict) or not cont:
            raise MalformedPayload("Commons `continue` is not an object")
        # The original parameters plus the latest `continue`, never an older one's keys.
        params = self._list_params()
        if "gaistart" in current.params:
            params["gaistart"] = current.params["gaistart"]
        params.update(cont)
        return PageRequest(current.url, params)

    def records_request(self, record_ids: list[str]) -> PageRequest | None:
        """These files by page id (at most 50), for re-checking embargoed ones."""
        return PageRequest(API_URL, {**self._query_params(), "pageids": "|".join(record_ids)})

    def parse_page(self, payload: Any) -> list[Candidate]:
        if not isinstance(payload, dict):
            raise MalformedPayload("Commons response is not an object")
        if "error" in payload:
            raise MalformedPayload(f"Commons API error: {payload['error']!r}")
        if "query" not in payload:
            if "batchcomplete" in payload or "continue" in payload:
                return []  # nothing in this batch
            raise MalformedPayload("Commons response has no `query`")
        query = payload["query"]
        pages = query.get("pages", {}) if isinstance(query, dict) else None
        if isinstance(pages, dict):
            pages = list(pages.values())
        if not isinstance(pages, list):
            raise MalformedPayload("Commons `query.pages` is not an object or a list")
        candidates = []
        for page in pages:
            if not isinstance(page, dict):
                candidates.append(Candidate(self.name, "").reject(MISSING_RECORD_ID))
                continue
            if "imageinfo" not in page:
                # A page whose imageinfo comes in another response of the same batch (prop
                # continuation), or a missing/deleted file: nothing to decide here.
                continue
            mime = _first_info(page).get("mime")
            if isinstance(mime, str) and mime and not mime.startswith("image/"):
                continue  # audio, video, PDF: not an image
            candidates.append(self._candidate(page))
        return candidates

    def _candidate(self, page: dict) -> Candidate:
        pageid = page.get("pageid")
        record_id = str(pageid) if isinstance(pageid, int) and not isinstance(pageid, bool) else ""
        info = _first_info(page)
        extmetadata = info.get("extmetadata")
        if not isinstance(extmetadata, dict):
            extmetadata = {}
        mime = info.get("mime") if isinstance(info.get("mime"), str) else ""
        page_title = page.get("title") if isinstance(page.get("title"), str) else ""
        title = plain_text(_meta_value(extmetadata, "ObjectName"))
        if not title:
            title = page_title.removeprefix("File:").rsplit(".", 1)[0]
        uploaded = _aware(info.get("timestamp"))
        if uploaded is None:
            datetime_entry = extmetadata.get("DateTime")
            # The file's upload time, when MediaWiki (not the file's EXIF) wrote it.
            if isinstance(datetime_entry, dict) and (
                datetime_entry.get("source") == "mediawiki-metadata"
            ):
                uploaded = _aware(datetime_entry.get("value"), "%Y-%m-%d %H:%M:%S")
        categories = _text_value(extmetadata, "Categories")
        landing_url = info.get("descriptionurl") or info.get("descriptionshorturl") or ""
        if not landing_url and record_id:
            landing_url = f"{SITE_URL}w/index.php?curid={record_id}"
        candidate = Candidate(
            source=self.name,
            source_record_id=record_id,
            original_url=info.get("url") if isinstance(info.get("url"), str) else "",
            landing_url=landing_url if isinstance(landing_url, str) else "",
            title=title,
            creator=plain_text(_meta_value(extmetadata, "Artist")),
            creator_url=_first_href(_meta_value(extmetadata, "Artist")),
            description=plain_text(_meta_value(extmetadata, "ImageDescription")),
            creation_date=plain_text(_meta_value(extmetadata, "DateTimeOriginal")),
            source_uploaded_at=uploaded,
            width=_int_or_none(info.get("width")),
            height=_int_or_none(info.get("height")),
            mime_type=mime,
            tags=[category for category in categories.split("|") if category],
            evidence={key: _meta_value(extmetadata, key) for key in EVIDENCE_FIELDS},
        )
        if not record_id:
            return candidate.reject(MISSING_RECORD_ID)
        if not candidate.original_url:
            return candidate.reject(MISSING_IMAGE_URL)
        candidate.license, candidate.rejection = license_decision(extmetadata)
        return candidate
