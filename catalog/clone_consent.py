"""Consent signals at clone time, for the base set.

Before an original is downloaded, its host's tdmrep.json and robots.txt are consulted
(once per host, cached; `catalog.consent.hosts`): a reservation there rejects the asset
without downloading it, and a look-up that failed leaves it waiting for a later run (a
failed look-up is never permission). After the download, the response's headers and the
file's own metadata (XMP, C2PA) join them in one decision (`catalog.consent.decision`).

A reservation of any training use blocks publication: the asset is rejected with a reason
naming where the first reservation was found, and the whole decision (every signal, where
and when it was read, every failed look-up) is recorded in the clone event."""

from datetime import datetime

import httpx
from django.conf import settings
from django.utils import timezone

from catalog.connectors.base import Fetcher
from catalog.consent.decision import ConsentDecision, decide
from catalog.consent.embedded import embedded_signals
from catalog.consent.headers import header_signals
from catalog.consent.hosts import SourcePolicies
from catalog.consent.vocabulary import (
    IN_FILE,
    IN_HEADER,
    IN_META,
    IN_ROBOTS,
    IN_TDMREP,
    LookupFailed,
    Signal,
)

# Rejection reasons, by where the first reservation of training was found.
OPT_OUT_HEADER = "opt_out_header"  # the reason before signals were read elsewhere too
REASON_BY_LOCATION = {
    IN_HEADER: OPT_OUT_HEADER,
    IN_FILE: "opt_out_embedded",
    IN_TDMREP: "opt_out_tdmrep",
    IN_ROBOTS: "opt_out_robots",
    IN_META: "opt_out_meta",
}
CONSENT_UNKNOWN = "consent_unknown"


def source_policies(fetcher: Fetcher) -> SourcePolicies:
    """The per-host look-ups of one cloning run."""
    return SourcePolicies(
        fetcher,
        max_age_seconds=settings.CONSENT_HOST_CACHE_SECONDS,
        own_agent=settings.INGEST_USER_AGENT,
    )


def rejection_reason(decision: ConsentDecision) -> str:
    return REASON_BY_LOCATION[decision.training_reservations[0].location]


def unknown_error(decision: ConsentDecision) -> str:
    failed = "; ".join(f"{f.url}: {f.error}" for f in decision.failures)
    return f"consent unknown, will retry: {failed}"[:500]


def before_download(
    policies: SourcePolicies | None, url: str
) -> tuple[list[Signal], list[LookupFailed], ConsentDecision]:
    """The host's signals for `url`, and the decision they make alone."""
    signals, failures = policies.signals_for(url) if policies else ([], [])
    return signals, failures, decide(signals, failures)


def after_download(
    source: list[Signal],
    failures: list[LookupFailed],
    response: httpx.Response,
    data: bytes | None,
    *,
    url: str,
    read_at: datetime | None = None,
) -> ConsentDecision:
    """The decision over the host's signals, the response's headers and, when `data` is
    the file, what it says about itself."""
    read_at = read_at or timezone.now()
    signals = [*source, *header_signals(response.headers, url=url, read_at=read_at)]
    if data:
        embedded = embedded_signals(data, read_at=read_at, url=url, authorship=False,
                                    trust_anchors_path=settings.C2PA_TRUST_ANCHORS)  # fmt: skip
        signals += embedded.signals
    return decide(signals, failures, decided_at=read_at)
