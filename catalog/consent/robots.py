"""robots.txt (RFC 9309, parsed with protego) as a consent signal.

Three things are read for an image's URL:

- our own crawler (the product token of `INGEST_USER_AGENT`, or the `*` group when no
  group names it) being disallowed: the site does not want us to fetch it at all, which
  reserves every use;
- a group that names an AI crawler explicitly (`AI_AGENTS`) disallowing the path: the
  site reserves what that crawler collects for. The `*` group alone is not read as an AI
  signal: most sites keep crawlers out of some paths for other reasons;
- `Content-Usage` rules (draft-ietf-aipref-attach) in our group or the `*` group: the
  longest matching path's statement of preference (`aipref`).
"""

import re
from datetime import datetime

from protego import Protego

from catalog.consent.aipref import usage_preferences
from catalog.consent.patterns import matches, url_path
from catalog.consent.vocabulary import (
    AI_INFERENCE,
    DATA_MINING,
    IN_ROBOTS,
    RESERVED,
    TRAINING_USES,
    Signal,
    all_uses,
    some_uses,
)

# Crawlers that collect for AI, by robots.txt product token, and the uses a Disallow for
# them reserves. Sources: the operators' own documentation of each token.
AI_AGENTS: dict[str, tuple[str, ...]] = {
    "GPTBot": TRAINING_USES,  # OpenAI, training
    "ChatGPT-User": (AI_INFERENCE,),  # OpenAI, fetches for answers
    "OAI-SearchBot": (AI_INFERENCE,),
    "CCBot": (DATA_MINING, *TRAINING_USES),  # Common Crawl, the corpus many models train on
    "Google-Extended": (*TRAINING_USES, AI_INFERENCE),  # Gemini training and grounding
    "anthropic-ai": TRAINING_USES,
    "ClaudeBot": TRAINING_USES,
    "Claude-User": (AI_INFERENCE,),
    "Applebot-Extended": TRAINING_USES,
    "Bytespider": TRAINING_USES,
    "Meta-ExternalAgent": TRAINING_USES,
    "FacebookBot": TRAINING_USES,
    "cohere-ai": TRAINING_USES,
    "cohere-training-data-crawler": TRAINING_USES,
    "PerplexityBot": (AI_INFERENCE,),
    "Amazonbot": TRAINING_USES,
    "AI2Bot": TRAINING_USES,
    "Diffbot": (DATA_MINING,),
    "ImagesiftBot": (DATA_MINING, *TRAINING_USES),
    "img2dataset": TRAINING_USES,  # the tool LAION-style image datasets are built with
    "omgili": (DATA_MINING,),
    "Timpibot": TRAINING_USES,
}

_USER_AGENT_LINE = re.compile(r"^\s*user-agent\s*:\s*([^#\s]+)", re.IGNORECASE | re.MULTILINE)
_LINE = re.compile(r"^\s*([A-Za-z-]+)\s*:\s*(.*?)\s*(?:#.*)?$")


def product_token(user_agent: str) -> str:
    """`OptInMediaMarketplaceBot` of `OptInMediaMarketplaceBot/1.0 (+https://...)`."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else ""


def _named_agents(text: str) -> set[str]:
    return {name.lower() for name in _USER_AGENT_LINE.findall(text)}


def _content_usage_rules(text: str, own_token: str) -> list[tuple[str, str]]:
    """(path, preference) of the Content-Usage rules in the group that names our crawler,
    else in the `*` group."""
    groups: list[tuple[set[str], list[tuple[str, str]]]] = []
    previous_was_agent = False
    for raw in text.splitlines():
        found = _LINE.match(raw)
        if not found:
            continue
        field, value = found.group(1).lower(), found.group(2)
        if field == "user-agent":
            if not previous_was_agent:
                groups.append((set(), []))
            groups[-1][0].add(value.lower())
            previous_was_agent = True
            continue
        previous_was_agent = False
        if field == "content-usage" and groups:
            path, _, preference = value.partition(" ") if value.startswith("/") else ("", "", value)
            groups[-1][1].append((path, preference.strip()))
    own = own_token.lower()
    for wanted in (own, "*"):
        rules = [rule for agents, rules in groups if wanted in agents for rule in rules]
        if any(wanted in agents for agents, _ in groups):
            return rules
    return []


class RobotsPolicy:
    """One robots.txt, parsed once, asked about many URLs."""

    def __init__(self, text: str, *, own_agent: str):
        self.parser = Protego.parse(text)
        self.own_agent = own_agent
        self.own_token = product_token(own_agent)
        named = _named_agents(text)
        self.ai_agents = [agent for agent in AI_AGENTS if agent.lower() in named]
        self.usage_rules = _content_usage_rules(text, self.own_token)

    def signals(self, url: str, *, source: str, read_at: datetime) -> list[Signal]:
        """The signals this robots.txt (read from `source` at `read_at`) gives about `url`."""
        signals = []
        if not self.parser.can_fetch(url, self.own_agent):
            signals.append(
                Signal(kind="robots_txt", location=IN_ROBOTS, uses=all_uses(RESERVED),
                       raw=f"Disallow for {self.own_token}", read_at=read_at, url=source,
                       detail={"agent": self.own_token})
            )  # fmt: skip
        blocked = [agent for agent in self.ai_agents if not self.parser.can_fetch(url, agent)]
        if blocked:
            uses = some_uses({use for agent in blocked for use in AI_AGENTS[agent]}, RESERVED)
            signals.append(
                Signal(kind="robots_txt_ai_agents", location=IN_ROBOTS, uses=uses,
                       raw="Disallow for " + ", ".join(blocked), read_at=read_at, url=source,
                       detail={"agents": blocked})
            )  # fmt: skip
        if self.usage_rules and (usage := self._usage(url)):
            signals.append(
                Signal(kind="robots_txt_content_usage", location=IN_ROBOTS, uses=usage[1],
                       raw="; ".join(usage[0]), read_at=read_at, url=source)
            )  # fmt: skip
        return signals

    def _usage(self, url: str) -> tuple[list[str], dict[str, str]] | None:
        """The statements of the longest matching Content-Usage path, and what they say."""
        path = url_path(url)
        found = [(p, pref) for p, pref in self.usage_rules if not p or matches(p, path)]
        if not found:
            return None
        longest = max(len(p) for p, _ in found)
        chosen = [pref for p, pref in found if len(p) == longest]
        uses: dict[str, str] = {}
        for preference in chosen:  # rules with the same path all apply, most restrictive first
            for use, state in usage_preferences(preference).items():
                uses[use] = RESERVED if RESERVED in (state, uses.get(use)) else state
        return chosen, uses


def robots_signals(text: str, *, url: str, source: str, own_agent: str, read_at: datetime):
    """The signals robots.txt `text` (read from `source`) gives about `url`."""
    return RobotsPolicy(text, own_agent=own_agent).signals(url, source=source, read_at=read_at)
