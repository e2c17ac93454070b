"""The shared HTTP fetcher against a real server on loopback: retries, limits, politeness."""

import httpx
import pytest

from catalog.connectors.base import (
    Connector,
    Fetcher,
    HostRateLimiter,
    MalformedPayload,
    PageRequest,
    TooLarge,
)


@pytest.fixture
def fetcher(settings):
    settings.INGEST_USER_AGENT = "TestBot/1.0 (+https://example.org/bot)"
    with Fetcher(rate_per_host=0, attempts=3) as fetcher:
        yield fetcher


def test_retries_5xx_and_429_then_succeeds(local_server, fetcher):
    url = local_server.add("/page", body=b'{"ok": true}', failures=[503, 429])
    assert fetcher.get_json(url) == {"ok": True}
    assert local_server.hits["/page"] == 3


def test_gives_up_after_the_attempts(local_server, fetcher):
    url = local_server.add("/down", failures=[500, 502, 503, 504])
    with pytest.raises(Exception, match="HTTP 50"):
        fetcher.get_json(url)
    assert local_server.hits["/down"] == 3


def test_client_errors_are_not_retried(local_server, fetcher):
    url = local_server.add("/gone", status=404)
    with pytest.raises(httpx.HTTPStatusError):
        fetcher.get_json(url)
    assert local_server.hits["/gone"] == 1


def test_sends_the_descriptive_user_agent(local_server, fetcher):
    fetcher.get_json(local_server.add("/ua", body=b"{}"))
    assert local_server.user_agents == ["TestBot/1.0 (+https://example.org/bot)"]


def test_get_json_sends_extra_headers_with_the_user_agent(settings):
    settings.INGEST_USER_AGENT = "TestBot/1.0 (+https://example.org/bot)"
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    with Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0) as fetcher:
        payload = fetcher.get_json(
            "https://api.example.org/x", params={"q": "a"}, headers={"api_key": "k"}
        )
    assert payload == {"ok": True}
    assert seen[0].url.params["q"] == "a"
    assert seen[0].headers["api_key"] == "k"
    assert seen[0].headers["User-Agent"] == "TestBot/1.0 (+https://example.org/bot)"


class _TwoPages(Connector):
    name = "two_pages"
    institution = "Test"

    def first_request(self, *, since):
        return PageRequest("https://api.example.org/list", {"page": 1}, {"api_key": "k"})

    def next_request(self, payload, current):
        return current.with_params(page=2) if current.params["page"] == 1 else None

    def parse_page(self, payload):
        return []


def test_default_pages_send_the_request_headers_on_every_page():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"page": request.url.params["page"]})

    with Fetcher(transport=httpx.MockTransport(handler), rate_per_host=0) as fetcher:
        assert list(_TwoPages().pages(fetcher)) == [{"page": "1"}, {"page": "2"}]
    assert [r.headers.get("api_key") for r in seen] == ["k", "k"]


def test_non_json_is_a_malformed_payload(local_server, fetcher):
    with pytest.raises(MalformedPayload):
        fetcher.get_json(local_server.add("/html", body=b"<html>"))


def test_download_stops_past_the_size_limit(local_server, fetcher):
    url = local_server.add("/big", body=b"x" * 5000)
    with pytest.raises(TooLarge):
        fetcher.download(url, max_bytes=4000)
    response, body = fetcher.download(url, max_bytes=5000)
    assert (response.status_code, len(body)) == (200, 5000)


def test_rate_limiter_spaces_requests_per_host():
    now = [100.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(round(seconds, 3))

    limiter = HostRateLimiter(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.wait("https://a.example.org/x")
    limiter.wait("https://b.example.org/y")  # another host has its own budget
    assert sleeps == [0.25, 0.5]
