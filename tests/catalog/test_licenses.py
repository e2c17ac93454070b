"""License normalization: every accepted and rejected form, and URL variants of both."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.licenses import (
    CC0,
    LICENSE_AMBIGUOUS,
    LICENSE_MISSING,
    LICENSE_NOT_ACCEPTED,
    LICENSE_RESTRICTED,
    LICENSE_UNKNOWN,
    LICENSE_VERSION_UNKNOWN,
    PDM,
    normalize_license,
)

ACCEPTED = [
    ("https://creativecommons.org/publicdomain/mark/1.0/", PDM),
    ("http://creativecommons.org/publicdomain/mark/1.0", PDM),
    ("https://creativecommons.org/publicdomain/zero/1.0/", CC0),
    ("https://creativecommons.org/publicdomain/zero/1.0/legalcode", CC0),
    ("https://creativecommons.org/publicdomain/zero/1.0/legalcode.en", CC0),
    ("https://creativecommons.org/publicdomain/zero/1.0/deed.en", CC0),
    ("creativecommons.org/publicdomain/zero/1.0", CC0),
    ("pdm", PDM),
    ("PDM-1.0", PDM),
    ("pdm 1.0", PDM),
    ("pdm1.0", PDM),
    ("Public Domain Mark", PDM),
    ("Public Domain Mark 1.0", PDM),
    ("cc0", CC0),
    ("CC0", CC0),
    ("cc0-1.0", CC0),
    ("CC0 1.0", CC0),
    ("cc-zero", CC0),
    ("CC0 1.0 Universal", CC0),
    ("CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", CC0),
    ("  cc0\n", CC0),
]

REJECTED = [
    (None, LICENSE_MISSING),
    ("", LICENSE_MISSING),
    ("   ", LICENSE_MISSING),
    ("https://creativecommons.org/licenses/by/4.0/", LICENSE_RESTRICTED),
    ("https://creativecommons.org/licenses/by-sa/3.0/deed.de", LICENSE_RESTRICTED),
    ("http://creativecommons.org/licenses/by-nc-nd/2.0/", LICENSE_RESTRICTED),
    ("https://creativecommons.org/licenses/zero/1.0/", LICENSE_RESTRICTED),
    ("cc-by-4.0", LICENSE_RESTRICTED),
    ("cc-by-sa-4.0", LICENSE_RESTRICTED),
    ("CC BY-SA 3.0", LICENSE_RESTRICTED),
    ("CC BY-NC 4.0", LICENSE_RESTRICTED),
    ("Creative Commons BY-ND", LICENSE_RESTRICTED),
    ("by-nc", LICENSE_RESTRICTED),
    ("https://creativecommons.org/publicdomain/mark/1.1/", LICENSE_VERSION_UNKNOWN),
    ("https://creativecommons.org/publicdomain/zero/2.0/", LICENSE_VERSION_UNKNOWN),
    ("https://creativecommons.org/publicdomain/certification/1.0/", LICENSE_NOT_ACCEPTED),
    # The retired "Public Domain Dedication and Certification": not a license with conditions.
    ("http://creativecommons.org/licenses/publicdomain/", LICENSE_NOT_ACCEPTED),
    ("https://creativecommons.org/licenses/publicdomain/deed.en", LICENSE_NOT_ACCEPTED),
    ("http://rightsstatements.org/vocab/NoC-US/1.0/", LICENSE_NOT_ACCEPTED),
    ("http://rightsstatements.org/vocab/InC/1.0/", LICENSE_NOT_ACCEPTED),
    ("Public Domain", LICENSE_AMBIGUOUS),
    ("pd", LICENSE_AMBIGUOUS),
    ("No restrictions", LICENSE_AMBIGUOUS),
    ("No known copyright restrictions", LICENSE_AMBIGUOUS),
    ("copyright free", LICENSE_AMBIGUOUS),
    ("All rights reserved", LICENSE_UNKNOWN),
    ("GFDL", LICENSE_UNKNOWN),
    ("https://example.org/publicdomain/zero/1.0/", LICENSE_UNKNOWN),
    ("https://creativecommons.org/publicdomain/zero/1.0/deed.en/extra", LICENSE_UNKNOWN),
    ("https://creativecommons.org/about/cc0", LICENSE_UNKNOWN),
    ("cc0-by", LICENSE_UNKNOWN),
]


@pytest.mark.parametrize(("raw", "code"), ACCEPTED)
def test_accepted_forms(raw, code):
    decision = normalize_license(raw)
    assert (decision.code, decision.reason, decision.accepted) == (code, None, True)


@pytest.mark.parametrize(("raw", "reason"), REJECTED)
def test_rejected_forms(raw, reason):
    decision = normalize_license(raw)
    assert (decision.code, decision.reason, decision.accepted) == (None, reason, False)


TOOLS = {"mark": PDM, "zero": CC0}


@st.composite
def cc_url_variants(draw, path: str):
    scheme = draw(st.sampled_from(["http://", "https://", ""]))
    host = draw(st.sampled_from(["creativecommons.org", "www.creativecommons.org"]))
    suffix = draw(
        st.sampled_from(
            ["", "/", "/deed", "/deed.en", "/deed.de", "/deed.pt_BR", "/deed.zh-hans",
             "/legalcode", "/legalcode.fr", "/?ref=chooser", "/#summary"]
        )
    )  # fmt: skip
    url = f"{scheme}{host}/{path}{suffix}"
    flips = draw(st.lists(st.booleans(), min_size=len(url), max_size=len(url)))
    url = "".join(c.upper() if flip else c for c, flip in zip(url, flips, strict=True))
    padding = draw(st.sampled_from(["", " ", "\t", "\n "]))
    return f"{padding}{url}{padding}"


@given(st.sampled_from(sorted(TOOLS)).flatmap(
    lambda tool: st.tuples(st.just(tool), cc_url_variants(f"publicdomain/{tool}/1.0"))
))  # fmt: skip
def test_every_url_variant_of_pdm_and_cc0_is_accepted(tool_and_url):
    tool, url = tool_and_url
    assert normalize_license(url).code == TOOLS[tool]


@given(
    st.sampled_from(["by", "by-sa", "by-nc", "by-nd", "by-nc-sa", "by-nc-nd"]).flatmap(
        lambda kind: cc_url_variants(f"licenses/{kind}/4.0")
    )
)
def test_every_url_variant_of_a_conditional_license_is_restricted(url):
    assert normalize_license(url).reason == LICENSE_RESTRICTED


@given(
    st.tuples(
        st.sampled_from(["mark", "zero"]),
        st.sampled_from(["0.9", "1.1", "2.0", "4.0", "1"]),
    ).flatmap(lambda tv: cc_url_variants(f"publicdomain/{tv[0]}/{tv[1]}"))
)
def test_other_versions_of_pdm_and_cc0_are_rejected(url):
    assert normalize_license(url).reason == LICENSE_VERSION_UNKNOWN


@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes_and_is_accepted_only_in_a_known_form(text):
    decision = normalize_license(text)
    assert decision.accepted != (decision.reason is not None)
    if decision.accepted:
        cleaned = " ".join(text.split()).lower()
        assert "creativecommons.org/publicdomain/" in cleaned or cleaned in {
            raw.strip().lower() for raw, _ in ACCEPTED if "/" not in raw
        }
