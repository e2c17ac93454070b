"""Signals a source publishes for a whole host: `/.well-known/tdmrep.json` and
`/robots.txt`, fetched once per origin and reused for `CONSENT_HOST_CACHE_SECONDS`.

Two layers: this process keeps what it read (one fetch per origin however many threads
ask at once), and the shared cache (Redis in production) gives it to the other workers.
What was read is cached with the time it was fetched, which is the time the signals it
gives are recorded as read. A look-up that failed (a timeout, DNS, a 5xx or 429 after
retries) is remembered for this run only, as unknown, and tried again on the next run; a
4xx other than 429 means the file is absent, which says nothing (RFC 9309 for robots.txt)."""

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.core.cache import cache as shared_cache
from django.utils import timezone

from catalog.connectors.base import Fetcher, TooLarge
from catalog.consent.robots import RobotsPolicy
from catalog.consent.tdmrep import TDMREP_PATH, InvalidTdmrep, parse_tdmrep, rule_for, tdmrep_signal
from catalog.consent.vocabulary import IN_ROBOTS, IN_TDMREP, LookupFailed, Signal

MAX_BYTES = 512 * 1024  # RFC 9309 asks parsers to read at least 500 KiB of robots.txt


@dataclass(frozen=True)
class HostFile:
    """One fetched site file: its text (empty when absent), or the error that kept it
    unknown."""

    url: str
    fetched_at: datetime
    status: int | None = None
    text: str = ""
    error: str = ""
    note: str = ""  # absent, too large, not a tdmrep.json ...

    @property
    def failed(self) -> bool:
        return bool(self.error)


@dataclass
class _Host:
    tdmrep: HostFile
    robots: HostFile
    tdm_rules: tuple = ()
    robots_policy: RobotsPolicy | None = None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class SourcePolicies:
    """tdmrep.json and robots.txt signals for image URLs, fetched once per origin."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        max_age_seconds: int,
        own_agent: str,
        clock: Callable[[], datetime] = timezone.now,
    ):
        self.fetcher = fetcher
        self.max_age = timedelta(seconds=max_age_seconds)
        self.own_agent = own_agent
        self.clock = clock
        self._hosts: dict[str, _Host] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def signals_for(self, url: str) -> tuple[list[Signal], list[LookupFailed]]:
        host = self._host(origin_of(url))
        signals: list[Signal] = []
        failures: list[LookupFailed] = []
        for file in (host.tdmrep, host.robots):
            if file.failed:
                location = IN_TDMREP if file.url.endswith(TDMREP_PATH) else IN_ROBOTS
                failures.append(LookupFailed(location, file.url, file.error, file.fetched_at))
        if host.tdm_rules and (rule := rule_for(host.tdm_rules, url)):
            signals.append(
                tdmrep_signal(rule, source=host.tdmrep.url, read_at=host.tdmrep.fetched_at)
            )
        if host.robots_policy:
            signals += host.robots_policy.signals(
                url, source=host.robots.url, read_at=host.robots.fetched_at
            )
        return signals, failures

    # --- the two layers of cache ----------------------------------------------------------

    def _host(self, origin: str) -> _Host:
        with self._guard:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:  # one fetch per origin, whatever the number of threads asking
            host = self._hosts.get(origin)
            now = self.clock()
            if host is None or self._stale(host, now):
                host = self._from_shared_cache(origin, now) or self._fetch(origin)
                self._hosts[origin] = host
            return host

    def _stale(self, host: _Host, now: datetime) -> bool:
        fetched = min(host.tdmrep.fetched_at, host.robots.fetched_at)
        if host.tdmrep.failed or host.robots.failed:
            return False  # kept for this run: the next run asks again
        return now - fetched >= self.max_age

    @staticmethod
    def _cache_key(origin: str) -> str:
        return "consent:host:" + hashlib.sha256(origin.encode()).hexdigest()

    def _from_shared_cache(self, origin: str, now: datetime) -> _Host | None:
        stored = shared_cache.get(self._cache_key(origin))
        if not stored:
            return None
        files = [HostFile(**{**f, "fetched_at": datetime.fromisoformat(f["fetched_at"])})
                 for f in stored]  # fmt: skip
        if now - min(f.fetched_at for f in files) >= self.max_age:
            return None
        return self._parsed(*files)

    def _fetch(self, origin: str) -> _Host:
        host = self._parsed(self._get(origin + TDMREP_PATH), self._get(origin + "/robots.txt"))
        if not (host.tdmrep.failed or host.robots.failed):
            shared_cache.set(
                self._cache_key(origin),
                [{**file.__dict__, "fetched_at": file.fetched_at.isoformat()}
                 for file in (host.tdmrep, host.robots)],
                timeout=int(self.max_age.total_seconds()),
            )  # fmt: skip
        return host

    def _parsed(self, tdmrep: HostFile, robots: HostFile) -> _Host:
        rules: tuple = ()
        if tdmrep.text:
            try:
                rules = parse_tdmrep(tdmrep.text)
            except InvalidTdmrep as exc:  # e.g. an HTML page served for any path: says nothing
                tdmrep = HostFile(**{**tdmrep.__dict__, "note": str(exc)[:200]})
        policy = RobotsPolicy(robots.text, own_agent=self.own_agent) if robots.text else None
        return _Host(tdmrep=tdmrep, robots=robots, tdm_rules=rules, robots_policy=policy)

    def _get(self, url: str) -> HostFile:
        fetched_at = self.clock()
        try:
            response, body = self.fetcher.download(url, max_bytes=MAX_BYTES)
        except TooLarge:
            return HostFile(url, fetched_at, note=f"larger than {MAX_BYTES} bytes: not read")
        except Exception as exc:  # transport errors, 5xx and 429 after retries: unknown
            return HostFile(url, fetched_at, error=f"{type(exc).__name__}: {exc}"[:500])
        if response.status_code >= 400:  # absent: says nothing
            return HostFile(url, fetched_at, status=response.status_code, note="absent")
        return HostFile(url, fetched_at, status=response.status_code,
                        text=body.decode("utf-8", "replace"))  # fmt: skip
