"""Text out of API values, shared by the connectors.

`text` reads a scalar field (a string, a number, or NYPL's XML-style `{"$": "text"}`);
`plain_text` turns an HTML (or plain text) field into one line of visible text."""

from html.parser import HTMLParser
from typing import Any

_VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}
_BLOCK_TAGS = {"br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "table", "dd", "dt"}
_BLOCK_TAGS |= {f"h{level}" for level in range(1, 7)}


def text(value: Any) -> str:
    """A string, stripped; an int or float (not a bool) as its text; `{"$": "text"}` (NYPL's
    XML-style values) as its text; anything else ""."""
    if isinstance(value, dict):
        value = value.get("$")
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) else ""


class _TextExtractor(HTMLParser):
    """The visible text of an HTML fragment: Commons hides machine data (Wikidata
    `QS:` statements) in `display: none` elements, which are dropped with scripts/styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")
        if tag in _VOID_TAGS:
            return
        if self.hidden_depth:
            self.hidden_depth += 1
            return
        style = "".join((dict(attrs).get("style") or "").split()).lower()
        if "display:none" in style or tag in ("script", "style"):
            self.hidden_depth = 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")
        if tag not in _VOID_TAGS and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.parts.append(data)


def plain_text(value: Any) -> str:
    """HTML (or plain text) to one line of plain text: tags and hidden elements dropped,
    entities decoded, whitespace collapsed."""
    if not isinstance(value, str):
        return ""
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    return " ".join("".join(parser.parts).split())
