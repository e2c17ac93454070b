"""Signals at the source: response headers, the IETF Content-Usage vocabulary, TDMRep
(headers, HTML meta, tdmrep.json) and robots.txt, the per-host files served by a real
HTTP server on loopback and fetched once per host."""

import json
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from catalog.connectors.base import Fetcher
from catalog.consent.aipref import usage_preferences
from catalog.consent.decision import decide
from catalog.consent.headers import header_signals
from catalog.consent.hosts import SourcePolicies
from catalog.consent.robots import robots_signals
from catalog.consent.tdmrep import InvalidTdmrep, html_meta_signals, parse_tdmrep, rule_for

NOW = timezone.now()
OURS = "OptInMediaMarketplaceBot/1.0 (+https://example.org/bot; ops@example.org)"
R, A = "reserved", "allowed"
EVERY = {"data_mining", "ai_inference", "ai_generative_training", "ai_training"}


def uses(signals) -> dict[str, str]:
    return {use: decide(signals).state(use) for use in EVERY}


# --- headers and the AI-preferences vocabulary ------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Robots-Tag": "noai"}, {"ai_training": R, "ai_generative_training": R}),
        ({"X-Robots-Tag": "googlebot: noimageai, noarchive"},
         {"ai_training": R, "ai_generative_training": R}),
        ({"tdm-reservation": "1", "tdm-policy": "https://a.example/policy.json"},
         dict.fromkeys(EVERY, R)),
        ({"tdm-reservation": "0"}, dict.fromkeys(EVERY, A)),
        ({"Content-Usage": "train-ai=n, search=y"},
         {"ai_training": R, "ai_generative_training": R}),
        ({"X-Robots-Tag": "noindex, nofollow"}, {}),
        ({"tdm-reservation": "maybe"}, {}),
    ],
)  # fmt: skip
def test_response_headers(headers, expected):
    signals = header_signals(httpx.Headers(headers), url="https://a.example/x.jpg", read_at=NOW)
    said = {use: state for s in signals for use, state in s.uses.items()}
    assert said == expected
    assert all(s.location == "header" and s.read_at == NOW for s in signals)


def test_the_tdm_policy_is_kept_with_the_reservation():
    (signal,) = header_signals(
        httpx.Headers({"tdm-reservation": "1", "tdm-policy": "https://a.example/p.json"}),
        url="https://a.example/x.jpg", read_at=NOW,
    )  # fmt: skip
    assert signal.detail == {"policy": "https://a.example/p.json"}
    assert signal.raw == "tdm-reservation: 1; tdm-policy: https://a.example/p.json"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("train-ai=n", {"ai_training": R, "ai_generative_training": R}),  # the current draft
        ("train-ai=y, search=n", {"ai_training": A, "ai_generative_training": A}),
        ("train-genai=n, ai-use=n", {"ai_generative_training": R, "ai_inference": R}),
        ("bots=n, train-ai=y", {"data_mining": R, "ai_inference": R,
                                "ai_generative_training": A, "ai_training": A}),
        ("tdm=n", dict.fromkeys(EVERY, R)),  # the first drafts' labels
        ("ai=n, genai=n, inference=y", {"ai_training": R, "ai_generative_training": R,
                                        "ai_inference": A}),
        ('train-ai="n"', {}),  # a string is not a token: unknown
        ("train-ai;x=1", {}),  # a boolean: unknown
        ("Train-AI=n", {}),  # keys are lowercase: the whole field fails to parse
        ("train-ai=n, train-ai=y", {"ai_training": A, "ai_generative_training": A}),  # last wins
        ("search=n, future-label=n", {}),
        ("train-ai=n,,", {}),
    ],
)  # fmt: skip
def test_content_usage_follows_the_drafts_processing(value, expected):
    assert usage_preferences(value) == expected


# --- TDMRep -------------------------------------------------------------------------------


def test_tdmrep_rules_apply_in_order_to_the_path():
    rules = parse_tdmrep(json.dumps([
        {"location": "/public/*", "tdm-reservation": 0},
        {"location": "/images/*.jpg", "tdm-reservation": 1, "tdm-policy": "https://a.example/p"},
        {"location": "/", "tdm-reservation": 0},
        {"location": "/broken"},
        "not a rule",
    ]))  # fmt: skip
    assert len(rules) == 3
    assert rule_for(rules, "https://a.example/images/cat.jpg").reservation == 1
    assert rule_for(rules, "https://a.example/images/cat.jpg").policy == "https://a.example/p"
    assert rule_for(rules, "https://a.example/public/images/cat.jpg").reservation == 0
    assert rule_for(rules, "https://a.example/images/cat.png").reservation == 0
    assert rule_for(parse_tdmrep("[]"), "https://a.example/x") is None


@pytest.mark.parametrize("text", ["<html>Not found</html>", '{"location": "/"}', ""])
def test_a_file_that_is_not_tdmrep_is_refused(text):
    with pytest.raises(InvalidTdmrep):
        parse_tdmrep(text)


def test_html_meta_of_a_landing_page():
    html = """<html><head><meta name="TDM-Reservation" content="1">
    <meta name="tdm-policy" content="https://a.example/policy">
    <meta name="robots" content="noimageai"></head><body>...</body></html>"""
    signals = html_meta_signals(html, url="https://a.example/page", read_at=NOW)
    assert [(s.kind, s.location) for s in signals] == [
        ("tdm_reservation_meta", "meta"), ("robots_meta_noai", "meta")
    ]  # fmt: skip
    assert signals[0].detail == {"policy": "https://a.example/policy"}
    assert uses(signals) == dict.fromkeys(EVERY, R)
    assert html_meta_signals("<p>nothing</p>", url="", read_at=NOW) == []


# --- robots.txt -------------------------------------------------------------------------------


def robots(text: str, url: str = "https://a.example/images/cat.jpg"):
    return robots_signals(text, url=url, source="https://a.example/robots.txt", own_agent=OURS,
                          read_at=NOW)  # fmt: skip


def test_ai_crawlers_named_and_disallowed_reserve_what_they_collect_for():
    (signal,) = robots("User-agent: GPTBot\nUser-agent: CCBot\nDisallow: /images/\n\n"
                       "User-agent: *\nAllow: /\n")  # fmt: skip
    assert signal.kind == "robots_txt_ai_agents" and signal.location == "robots.txt"
    assert signal.detail == {"agents": ["GPTBot", "CCBot"]}
    assert signal.uses == {"data_mining": R, "ai_generative_training": R, "ai_training": R}
    assert robots("User-agent: GPTBot\nDisallow: /private/\n") == []  # another path


def test_the_star_group_is_not_an_ai_signal_but_binds_our_crawler():
    assert robots("User-agent: *\nDisallow: /admin/\n") == []
    (signal,) = robots("User-agent: *\nDisallow: /\n")
    assert (signal.kind, signal.detail) == ("robots_txt", {"agent": "OptInMediaMarketplaceBot"})
    assert uses([signal]) == dict.fromkeys(EVERY, R)
    assert robots("User-agent: *\nDisallow: /\n\nUser-agent: OptInMediaMarketplaceBot\n"
                  "Allow: /\n") == []  # fmt: skip


def test_content_usage_rules_in_robots_txt():
    text = ("User-agent: *\nAllow: /\nContent-Usage: train-ai=y\n"
            "Content-Usage: /images/ train-ai=n\nContent-Usage: /images/ai-use=n\n")  # fmt: skip
    (signal,) = robots(text)
    assert signal.kind == "robots_txt_content_usage" and signal.raw == "train-ai=n"
    assert signal.uses == {"ai_training": R, "ai_generative_training": R}
    (signal,) = robots(text, url="https://a.example/about.png")
    assert signal.uses == {"ai_training": A, "ai_generative_training": A}


# --- per-host files, fetched once ------------------------------------------------------------


def policies(**kwargs) -> tuple[SourcePolicies, Fetcher]:
    fetcher = Fetcher(rate_per_host=0, attempts=1)
    return SourcePolicies(fetcher, max_age_seconds=3600, own_agent=OURS, **kwargs), fetcher


@pytest.mark.django_db
def test_host_files_are_fetched_once_for_many_images(local_server):
    local_server.add("/.well-known/tdmrep.json", body=json.dumps(
        [{"location": "/reserved/", "tdm-reservation": 1}]).encode())  # fmt: skip
    local_server.add("/robots.txt", body=b"User-agent: GPTBot\nDisallow: /gpt-free/\n")
    source, fetcher = policies()
    with fetcher:
        results = {
            path: source.signals_for(f"{local_server.base_url}{path}/{i}.jpg")
            for i in range(50)
            for path in ("/reserved", "/gpt-free", "/open")
        }
    assert local_server.hits["/.well-known/tdmrep.json"] == 1
    assert local_server.hits["/robots.txt"] == 1
    assert all(ua.startswith("OptInMediaMarketplaceBot") for ua in local_server.user_agents)
    (tdm,), failures = results["/reserved"]
    assert failures == [] and tdm.kind == "tdmrep_json"
    assert tdm.url == local_server.base_url + "/.well-known/tdmrep.json"
    (gpt,), _ = results["/gpt-free"]
    assert gpt.detail == {"agents": ["GPTBot"]}
    assert results["/open"] == ([], [])


@pytest.mark.django_db
def test_the_shared_cache_serves_other_workers_until_it_is_too_old(local_server):
    local_server.add("/robots.txt", body=b"User-agent: *\nDisallow: /\n")
    url = local_server.base_url + "/a.jpg"
    clock = [NOW]
    first, fetcher = policies(clock=lambda: clock[0])
    with fetcher:
        (signal,), _ = first.signals_for(url)
    assert signal.read_at == NOW  # when robots.txt was read, not when it was used
    clock[0] = NOW + timedelta(minutes=30)
    second, fetcher = policies(clock=lambda: clock[0])  # another worker process
    with fetcher:
        (again,), _ = second.signals_for(url)
        assert again.read_at == NOW
        assert local_server.hits["/robots.txt"] == 1
        clock[0] = NOW + timedelta(hours=2)  # past CONSENT_HOST_CACHE_SECONDS: read again
        (fresh,), _ = second.signals_for(url)
    assert fresh.read_at == NOW + timedelta(hours=2)
    assert local_server.hits["/robots.txt"] == 2


@pytest.mark.django_db
def test_a_host_that_fails_is_unknown_never_permission(local_server):
    local_server.add("/.well-known/tdmrep.json", body=b"[]", status=503)
    source, fetcher = policies()
    with fetcher:
        signals, failures = source.signals_for(local_server.base_url + "/a.jpg")
        source.signals_for(local_server.base_url + "/b.jpg")
    assert signals == []
    (failure,) = failures
    assert failure.location == "tdmrep.json" and "503" in failure.error
    decision = decide(signals, failures)
    assert decision.training_unknown and not decision.training_reserved
    assert decision.state("ai_training") == "unknown"
    assert local_server.hits["/.well-known/tdmrep.json"] == 1  # once in this run
    # Not shared with other workers: the next run asks again.
    retry, fetcher = policies()
    with fetcher:
        retry.signals_for(local_server.base_url + "/a.jpg")
    assert local_server.hits["/.well-known/tdmrep.json"] == 2


@pytest.mark.django_db
def test_an_unreachable_host_is_unknown():
    source, fetcher = policies()
    with fetcher:
        signals, failures = source.signals_for("http://127.0.0.1:9/a.jpg")  # nothing listens
    assert signals == [] and {f.location for f in failures} == {"tdmrep.json", "robots.txt"}
    assert "ConnectError" in failures[0].error


@pytest.mark.django_db
def test_absent_or_odd_files_say_nothing(local_server):
    local_server.add("/.well-known/tdmrep.json", body=b"<html>soft 404</html>")
    source, fetcher = policies()
    with fetcher:
        assert source.signals_for(local_server.base_url + "/a.jpg") == ([], [])
