"""License normalization: the one place that decides whether a license string is one we
accept. Only the Public Domain Mark 1.0 and CC0 1.0 pass; everything else, and everything
doubtful, is rejected with a reason. A pure function: no I/O, no settings.

Accepted (compared without case, surrounding space, `www.`, scheme, trailing slash,
`deed.*`/`legalcode*` suffixes, query or fragment):

- pdm-1.0: creativecommons.org/publicdomain/mark/1.0; `pdm`, `pdm-1.0`, `pdm 1.0`, `pdm1.0`,
  `public domain mark`, `public domain mark 1.0`
- cc0-1.0: creativecommons.org/publicdomain/zero/1.0; `cc0`, `cc0-1.0`, `cc0 1.0`, `cc-zero`,
  `cc0 1.0 universal`, `cc0 1.0 universal (cc0 1.0) public domain dedication`

Rejected, with the reason:

- license_missing: empty or missing
- license_restricted: any CC license with conditions (by, by-sa, by-nc, by-nd, ...)
- license_version_unknown: the PDM or CC0 URL with another version (mark/1.1, zero/2.0)
- license_not_accepted: other CC public-domain tools (publicdomain/certification, and the
  retired "Public Domain Dedication and Certification" at licenses/publicdomain) and
  rightsstatements.org statements (in or out of copyright, NoC-US, ...)
- license_ambiguous: free text that only sounds public ("public domain", "no restrictions",
  "no known copyright restrictions", "copyright free")
- license_unknown: anything else
"""

import re
from dataclasses import dataclass

PDM = "pdm-1.0"
CC0 = "cc0-1.0"

# Where people read each accepted license (the opt-in license is the platform's own terms).
LICENSE_URLS = {
    PDM: "https://creativecommons.org/publicdomain/mark/1.0/",
    CC0: "https://creativecommons.org/publicdomain/zero/1.0/",
    "opt-in": None,
}

LICENSE_MISSING = "license_missing"
LICENSE_RESTRICTED = "license_restricted"
LICENSE_VERSION_UNKNOWN = "license_version_unknown"
LICENSE_NOT_ACCEPTED = "license_not_accepted"
LICENSE_AMBIGUOUS = "license_ambiguous"
LICENSE_UNKNOWN = "license_unknown"


@dataclass(frozen=True)
class LicenseDecision:
    code: str | None  # PDM or CC0 when accepted
    reason: str | None  # a rejection reason otherwise

    @property
    def accepted(self) -> bool:
        return self.code is not None


def _accept(code: str) -> LicenseDecision:
    return LicenseDecision(code, None)


def _reject(reason: str) -> LicenseDecision:
    return LicenseDecision(None, reason)


_NAMES = {
    "pdm": PDM,
    "pdm-1.0": PDM,
    "pdm 1.0": PDM,
    "pdm1.0": PDM,
    "public domain mark": PDM,
    "public domain mark 1.0": PDM,
    "cc0": CC0,
    "cc0-1.0": CC0,
    "cc0 1.0": CC0,
    "cc-zero": CC0,
    "cc0 1.0 universal": CC0,
    "cc0 1.0 universal (cc0 1.0) public domain dedication": CC0,
}
_AMBIGUOUS = {
    "public domain",
    "pd",
    "no restrictions",
    "no known restrictions",
    "no known copyright restrictions",
    "copyright free",
    "free",
    "none",
}
# CC license elements; any of these in a name or URL path means conditions apply.
_CC_CONDITIONS = re.compile(r"(^|[\s/_-])(by|sa|nc|nd)([\s/_-]|$)")
_CC_NAME = re.compile(r"^(cc|creative commons)[\s_-]")
_CC_URL = re.compile(
    r"^(?:https?://)?(?:www\.)?creativecommons\.org/(?P<path>[^?#]*?)/?(?:[?#].*)?$"
)
_PD_TOOL = re.compile(r"^publicdomain/(?P<tool>[a-z]+)/(?P<version>[^/]+)(?:/(?P<rest>.*))?$")
_SUFFIX = re.compile(r"^(deed(\.[a-z_-]+)?|legalcode(\.[a-z_-]+)?)$")


def _normalize_cc_url(path: str) -> LicenseDecision:
    path = path.strip("/")
    tool = _PD_TOOL.match(path)
    if tool:
        rest = tool["rest"] or ""
        if rest and not _SUFFIX.match(rest):
            return _reject(LICENSE_UNKNOWN)
        kind, version = tool["tool"], tool["version"]
        if kind in ("mark", "zero"):
            if version != "1.0":
                return _reject(LICENSE_VERSION_UNKNOWN)
            return _accept(PDM if kind == "mark" else CC0)
        return _reject(LICENSE_NOT_ACCEPTED)
    if path == "licenses/publicdomain" or path.startswith("licenses/publicdomain/"):
        return _reject(LICENSE_NOT_ACCEPTED)  # the retired dedication/certification: no conditions
    if path.startswith("licenses/"):
        return _reject(LICENSE_RESTRICTED)
    return _reject(LICENSE_UNKNOWN)


def normalize_license(raw: str | None) -> LicenseDecision:
    """Decide one license string (a URL or a name)."""
    if raw is None:
        return _reject(LICENSE_MISSING)
    text = " ".join(str(raw).split()).lower()
    if not text:
        return _reject(LICENSE_MISSING)
    url = _CC_URL.match(text)
    if url:
        return _normalize_cc_url(url["path"])
    if "rightsstatements.org" in text:
        return _reject(LICENSE_NOT_ACCEPTED)
    if text in _NAMES:
        return _accept(_NAMES[text])
    if text in _AMBIGUOUS:
        return _reject(LICENSE_AMBIGUOUS)
    if (_CC_NAME.match(text) or text.startswith("by")) and _CC_CONDITIONS.search(text):
        return _reject(LICENSE_RESTRICTED)
    return _reject(LICENSE_UNKNOWN)
