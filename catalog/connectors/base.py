"""What every source connector shares: the candidate record it produces, the paging loop,
and an HTTP fetcher with timeouts, retries with backoff, a per-host rate limit and a
descriptive User-Agent.

A connector turns one source's API responses into `Candidate`s, each already carrying its
license decision: either `license` (an accepted code) or `rejection` (a reason code), and
always the raw `evidence` fields the decision read."""

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)


@dataclass
class Candidate:
    """One source record, normalized, with its license decision."""

    source: str
    source_record_id: str
    original_url: str = ""
    landing_url: str = ""
    title: str = ""
    creator: str = ""
    creator_url: str = ""
    description: str = ""
    creation_date: str = ""
    institution: str = ""
    source_uploaded_at: datetime | None = None
    width: int | None = None
    height: int | None = None
    mime_type: str = ""
    tags: list[str] = field(default_factory=list)
    license: str | None = None  # "pdm-1.0" or "cc0-1.0" when accepted
    rejection: str | None = None  # a reason code when rejected
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.license is not None and self.rejection is None

    def reject(self, reason: str) -> "Candidate":
        self.license, self.rejection = None, reason
        return self


@dataclass(frozen=True)
class PageRequest:
    url: str
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # sent with the request (API keys)

    def with_params(self, **params: Any) -> "PageRequest":
        """The same request (url, headers) with these parameters changed: the next page."""
        return replace(self, params={**self.params, **params})


class TooLarge(ValueError):
    """A download over the size limit; abandoned before it was all read."""


class MalformedPayload(ValueError):
    """A response that is not the shape the source documents; the page fails alone."""


class Connector(ABC):
    """One source. Subclasses set `name`, `institution`, and implement `first_request`,
    `parse_page` (one response -> candidates) and `next_request` (paging)."""

    name: str
    institution: str

    @abstractmethod
    def first_request(self, *, since: date | None) -> PageRequest:
        """The first API request of a run (records changed since `since`, when supported)."""

    @abstractmethod
    def parse_page(self, payload: Any) -> list[Candidate]:
        """Candidates in one response. Raises MalformedPayload when the page is unusable;
        a malformed record is returned rejected with a reason instead."""

    @abstractmethod
    def next_request(self, payload: Any, current: PageRequest) -> PageRequest | None:
        """The request for the next page, or None after the last one."""

    def records_request(self, record_ids: list[str]) -> PageRequest | None:
        """A request for these records by id (used to re-check embargoed ones); None when the
        source cannot look records up by id."""
        return None

    def pages(self, fetcher: "Fetcher", *, since: date | None = None) -> Iterator[Any]:
        """Response payloads of a live run, in order. Sources that need a second call per
        record (search, then details) override this."""
        request: PageRequest | None = self.first_request(since=since)
        while request is not None:
            payload = fetcher.get_json(request.url, params=request.params, headers=request.headers)
            yield payload
            request = self.next_request(payload, request)


class RetryableStatus(Exception):
    def __init__(self, response: httpx.Response):
        super().__init__(f"HTTP {response.status_code} from {response.request.url}")
        self.response = response


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, RetryableStatus | httpx.TransportError)


_backoff = wait_exponential_jitter(multiplier=0.5, max=30)


def _wait(retry_state) -> float:
    """Exponential backoff with jitter, or the server's Retry-After when it sent one."""
    exc = retry_state.outcome.exception() if retry_state.outcome else None
    if isinstance(exc, RetryableStatus):
        retry_after = exc.response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return min(float(retry_after), 60.0)
    return _backoff(retry_state)


class HostRateLimiter:
    """At most `rate` requests a second to each host from this process (thread-safe)."""

    def __init__(self, rate: float, *, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def wait(self, url: str) -> None:
        if not self.interval:
            return
        host = urlsplit(url).hostname or ""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


class Fetcher:
    """HTTP for connectors and cloning: one pooled client, polite and persistent."""

    def __init__(
        self,
        *,
        rate_per_host: float | None = None,
        attempts: int | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
        max_connections: int = 20,
    ):
        self.limiter = HostRateLimiter(
            settings.INGEST_RATE_PER_HOST if rate_per_host is None else rate_per_host
        )
        self.attempts = attempts or settings.INGEST_HTTP_ATTEMPTS
        self.client = httpx.Client(
            headers={"User-Agent": settings.INGEST_USER_AGENT},
            timeout=httpx.Timeout(timeout or settings.INGEST_HTTP_TIMEOUT),
            follow_redirects=True,
            transport=transport,
            limits=httpx.Limits(max_connections=max_connections),
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _retrying(self, call):
        """Run `call` (one polite attempt) again on transport errors, 429 and 5xx, with
        exponential backoff and jitter, honouring Retry-After."""
        return retry(
            retry=retry_if_exception(_is_retryable),
            stop=stop_after_attempt(self.attempts),
            wait=_wait,
            reraise=True,
        )(call)()

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        """Send with retries on transport errors, 429 and 5xx; other 4xx are returned to
        the caller."""

        def send() -> httpx.Response:
            self.limiter.wait(url)
            response = self.client.request(method, url, **kwargs)
            if response.status_code == 429 or response.status_code >= 500:
                response.close()
                raise RetryableStatus(response)
            return response

        return self._retrying(send)

    def download(self, url: str, *, max_bytes: int) -> tuple[httpx.Response, bytes]:
        """The body of a GET, streamed and abandoned past `max_bytes` (TooLarge). The
        response is returned whatever its status, for the caller to judge."""

        def fetch() -> tuple[httpx.Response, bytes]:
            self.limiter.wait(url)
            with self.client.stream("GET", url) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    raise RetryableStatus(response)
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise TooLarge(f"{declared} bytes declared, limit {max_bytes}")
                chunks, size = [], 0
                for chunk in response.iter_bytes(1 << 16):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"over {max_bytes} bytes")
                    chunks.append(chunk)
                return response, b"".join(chunks)

        return self._retrying(fetch)

    def get_json(
        self, url: str, *, params: dict | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        """The JSON body of a GET (with these parameters and extra headers); an HTTP error
        status raises httpx.HTTPStatusError, a body that is not JSON MalformedPayload."""
        response = self.request("GET", url, params=params, headers=headers)
        response.raise_for_status()
        try:
            return response.json()
        except ValueError as exc:
            raise MalformedPayload(f"{url} did not answer JSON") from exc


@contextmanager
def borrowed_fetcher(fetcher: Fetcher | None, make: Callable[[], Fetcher]) -> Iterator[Fetcher]:
    """The caller's fetcher as it is, or a new one from `make`, closed afterwards."""
    if fetcher is not None:
        yield fetcher
        return
    own = make()
    try:
        yield own
    finally:
        own.close()
