"""TDMRep (W3C TDM Reservation Protocol): `tdm-reservation` and `tdm-policy` as HTTP
headers, as HTML `<meta>` elements, and as rules in a host's `/.well-known/tdmrep.json`.

`tdm-reservation: 1` reserves text and data mining rights, which covers every use of our
vocabulary (mining, training of either kind, inference); `0` states that they are not
reserved, which allows them. `tdm-policy` (a link to the terms under which the rights
holder licenses them) is kept as evidence: a reservation with a policy is still a
reservation until a license is obtained. In tdmrep.json the rules are read in order and
the first whose `location` pattern matches the path applies."""

import json
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser

from catalog.consent.patterns import matches, url_path
from catalog.consent.vocabulary import (
    ALLOWED,
    IN_HEADER,
    IN_META,
    IN_TDMREP,
    RESERVED,
    TRAINING_USES,
    Signal,
    all_uses,
    some_uses,
)

TDMREP_PATH = "/.well-known/tdmrep.json"


class InvalidTdmrep(ValueError):
    pass


@dataclass(frozen=True)
class TdmRule:
    location: str
    reservation: int  # 1 reserved, 0 not reserved
    policy: str = ""


def reservation_uses(value: str | int) -> dict[str, str] | None:
    value = str(value).strip()
    if value == "1":
        return all_uses(RESERVED)
    if value == "0":
        return all_uses(ALLOWED)
    return None


def parse_tdmrep(text: str) -> tuple[TdmRule, ...]:
    """The rules of a tdmrep.json file; InvalidTdmrep when it is not a JSON array of rules
    (a server answering an HTML page for any path, say)."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InvalidTdmrep(f"not JSON: {exc}") from exc
    if not isinstance(document, list):
        raise InvalidTdmrep("not a JSON array of rules")
    rules = []
    for item in document:
        if not isinstance(item, dict) or not isinstance(item.get("location"), str):
            continue
        reservation = item.get("tdm-reservation")
        if str(reservation) not in ("0", "1"):
            continue
        policy = item.get("tdm-policy")
        rules.append(
            TdmRule(
                location=item["location"].strip(),
                reservation=int(reservation),
                policy=policy.strip() if isinstance(policy, str) else "",
            )
        )
    return tuple(rules)


def rule_for(rules: tuple[TdmRule, ...], url: str) -> TdmRule | None:
    path = url_path(url)
    return next((rule for rule in rules if matches(rule.location, path)), None)


def tdmrep_signal(rule: TdmRule, *, source: str, read_at: datetime) -> Signal:
    return Signal(
        kind="tdmrep_json",
        location=IN_TDMREP,
        uses=reservation_uses(rule.reservation) or {},
        raw=json.dumps({"location": rule.location, "tdm-reservation": rule.reservation,
                        **({"tdm-policy": rule.policy} if rule.policy else {})}),
        read_at=read_at,
        url=source,
        detail={"policy": rule.policy} if rule.policy else {},
    )  # fmt: skip


def header_signal(
    reservation: str, policy: str, *, url: str, read_at: datetime, location: str = IN_HEADER
) -> Signal | None:
    uses = reservation_uses(reservation)
    if uses is None:
        return None
    return Signal(
        kind="tdm_reservation_header" if location == IN_HEADER else "tdm_reservation_meta",
        location=location,
        uses=uses,
        raw=f"tdm-reservation: {reservation.strip()}"
        + (f"; tdm-policy: {policy.strip()}" if policy.strip() else ""),
        read_at=read_at,
        url=url,
        detail={"policy": policy.strip()} if policy.strip() else {},
    )


class _MetaParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        if tag != "meta":
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        name = values.get("name", "").strip().lower()
        if name in ("tdm-reservation", "tdm-policy", "robots") and "content" in values:
            self.meta.setdefault(name, []).append(values["content"])


def html_meta_signals(html: str, *, url: str, read_at: datetime) -> list[Signal]:
    """TDMRep `<meta name="tdm-reservation">`/`tdm-policy`, and `noai`/`noimageai` in
    `<meta name="robots">`, of a landing page."""
    parser = _MetaParser()
    parser.feed(html)
    parser.close()
    signals = []
    for reservation in parser.meta.get("tdm-reservation", [])[:1]:
        policy = (parser.meta.get("tdm-policy") or [""])[0]
        signal = header_signal(reservation, policy, url=url, read_at=read_at, location=IN_META)
        if signal:
            signals.append(signal)
    robots = ",".join(parser.meta.get("robots", []))
    if noai_directives(robots):
        signals.append(
            Signal(kind="robots_meta_noai", location=IN_META,
                   uses=some_uses(TRAINING_USES, RESERVED), raw=robots, read_at=read_at, url=url)
        )  # fmt: skip
    return signals


def noai_directives(value: str) -> set[str]:
    """The `noai`/`noimageai` directives in a robots directive list (X-Robots-Tag or
    `<meta name="robots">`), with or without a user agent before them."""
    words = value.lower().replace(":", ",").replace(" ", ",").split(",")
    return {word.strip() for word in words} & {"noai", "noimageai"}
