"""Template filters of the web pages."""

import re

from django import template

from common.money import usd_text

register = template.Library()


@register.filter
def usd(micros) -> str:
    """Micro-USD as people read dollars: $0.05, $0.001, $12.00."""
    return "" if micros is None else usd_text(int(micros))


@register.filter
def event_label(kind: str) -> str:
    from provenance.models import EventKind

    return EventKind(kind).label if kind in EventKind.values else kind


@register.filter
def humanize_code(code: str) -> str:
    """A reason code (`matches_base_set`) as words."""
    return (code or "").replace("_", " ").capitalize()


@register.filter
def unwrap(text: str) -> str:
    """Join a text's hard-wrapped continuation lines (indented) to their paragraph, so it
    wraps to the reader's screen instead."""
    return re.sub(r"\n[ \t]+", " ", text or "")
