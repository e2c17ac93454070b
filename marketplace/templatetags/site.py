"""Template filters of the web pages."""

import re

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html

from catalog.models import USE_LABELS
from catalog.selectors import asset_use_prices, file_extension, source_name
from common.money import usd as usd_decimal
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


@register.simple_tag
def thumbnail(asset, alt: str = "", css: str = "") -> str:
    """The asset's thumbnail through the one thumbnail view, lazy, with its size known
    (thumbnails are the original scaled to THUMBNAIL_SIZE on its longest side, never up),
    so the page does not jump while images arrive."""
    width, height = thumbnail_size(asset.width, asset.height)
    return format_html(
        '<img src="{}" alt="{}" width="{}" height="{}" loading="lazy" decoding="async"{}>',
        reverse("web:thumbnail", args=[asset.pk]), alt, width, height,
        format_html(' class="{}"', css) if css else "",
    )  # fmt: skip


def thumbnail_size(width: int | None, height: int | None) -> tuple[int, int]:
    side = settings.THUMBNAIL_SIZE
    if not width or not height:
        return side, round(side * 3 / 4)
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


LICENSE_SHORT = {"pdm-1.0": "Public domain (PDM 1.0)", "cc0-1.0": "CC0 1.0", "opt-in": "Opt-in"}


@register.filter
def license_short(code: str) -> str:
    return LICENSE_SHORT.get(code, code)


@register.filter
def buyer_price(asset) -> str:
    """What one download costs a buyer: free for the base set, else price plus the fee
    ("from" the cheapest use when the uses are priced differently)."""
    if asset.license != "opt-in":
        return "Free"
    total = usd_text((asset.price_micros or 0) + settings.PLATFORM_FEE_MICROS)
    return f"from {total}" if len(set((asset.use_prices or {}).values())) > 1 else total


@register.filter
def buyer_price_for(asset, use: str) -> str:
    """What one download for `use` costs a buyer."""
    if asset.license != "opt-in":
        return "Free"
    prices = asset.use_prices or {}
    if use not in prices:
        return "not offered for this use"
    return usd_text(prices[use] + settings.PLATFORM_FEE_MICROS)


@register.filter
def buyer_use_prices(asset) -> list[tuple[str, str]]:
    """Each use an asset may be licensed for, in words, with what a download costs."""
    fee = settings.PLATFORM_FEE_MICROS if asset.license == "opt-in" else 0
    return [
        (USE_LABELS[use], usd_text(price + fee) if price + fee else "Free")
        for use, price in asset_use_prices(asset).items()
    ]


@register.filter
def use_label(code: str) -> str:
    """A use's name in words ("Generative AI training")."""
    return USE_LABELS.get(code, code)


@register.filter
def in_a_sentence(label: str) -> str:
    """A name inside a sentence: "Data mining" -> "data mining"; "AI inference" keeps its
    acronym."""
    first, _, rest = label.partition(" ")
    return " ".join(filter(None, [first if first.isupper() else first.lower(), rest]))


@register.filter
def source_label(source: str) -> str:
    return source_name(source)


@register.filter
def reason_text(code: str) -> str:
    """A licensing refusal's reason code in words."""
    return REASONS.get(code, humanize_code(code).lower())


REASONS = {
    "not_found": "not in the catalog",
    "withdrawn": "withdrawn by its rights holder",
    "taken_down": "taken down by a moderator",
    "under_review": "held for a moderator's review",
    "use_not_allowed": "its rights holder does not allow this use",
    "use_required": "choose a use to license it",
    "purpose_not_allowed": "its rights holder does not allow this purpose",
    "not_stored": "its file is not stored yet",
}


@register.filter
def get_asset(assets: dict, asset_id):
    """`assets[asset_id]` for a dict of assets by id, or None."""
    return assets.get(int(asset_id)) if assets else None


@register.filter
def usd_plain(micros) -> str:
    """Micro-USD as a plain decimal amount for a form or a link (0.051)."""
    return usd_decimal(int(micros or 0)).rstrip("0").rstrip(".") or "0"


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key, key) if mapping else key


@register.filter
def delivered_name(notice) -> str:
    """The file name a licensed asset was delivered under (asset-42.jpg)."""
    return f"asset-{notice.asset_id}.{file_extension(notice.asset_mime)}"


@register.filter
def thousands(number) -> str:
    """10000 as 10,000."""
    return f"{int(number):,}" if number is not None else ""
