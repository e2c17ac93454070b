"""Signals in the response that carried a file: `X-Robots-Tag: noai`/`noimageai`, TDMRep's
`tdm-reservation`/`tdm-policy`, and the IETF AI-preferences `Content-Usage` field."""

from datetime import datetime

import httpx

from catalog.consent.aipref import usage_preferences
from catalog.consent.tdmrep import header_signal, noai_directives
from catalog.consent.vocabulary import IN_HEADER, RESERVED, TRAINING_USES, Signal, some_uses


def header_signals(headers: httpx.Headers, *, url: str, read_at: datetime) -> list[Signal]:
    signals = []
    robots = ", ".join(headers.get_list("x-robots-tag"))
    if noai_directives(robots):
        # noai / noimageai: "not for AI training datasets", as DeviantArt and others use it.
        signals.append(
            Signal(kind="x_robots_tag", location=IN_HEADER,
                   uses=some_uses(TRAINING_USES, RESERVED), raw=robots, read_at=read_at, url=url)
        )  # fmt: skip
    if "tdm-reservation" in headers:
        signal = header_signal(
            headers["tdm-reservation"], headers.get("tdm-policy", ""), url=url, read_at=read_at
        )
        if signal:
            signals.append(signal)
    usage = ", ".join(headers.get_list("content-usage"))
    if usage:
        signals.append(
            Signal(kind="content_usage_header", location=IN_HEADER,
                   uses=usage_preferences(usage), raw=usage, read_at=read_at, url=url)
        )  # fmt: skip
    return signals
