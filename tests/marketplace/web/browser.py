"""What the browser tests share: Chromium from Debian (Playwright cannot download its own
here), axe-core checks, and screenshots a reviewer can look at."""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# `make test` prints this folder at the end.
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

_axe = Axe()


def axe_check(page) -> None:
    """No serious or critical accessibility violations on the page as it is now."""
    results = _axe.run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in bad
    )


def _shot_path(test_name: str, name: str) -> Path:
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", test_name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"


def shot(page, test_name: str, name: str, *, full_page: bool = True) -> Path:
    path = _shot_path(test_name, name)
    page.screenshot(path=str(path), full_page=full_page)
    return path


def shot_of(locator, test_name: str, name: str) -> Path:
    """A screenshot of one part of the page (the header, say)."""
    path = _shot_path(test_name, name)
    locator.screenshot(path=str(path))
    return path


def fits_the_width(page) -> None:
    """Nothing makes the page scroll sideways: wide tables scroll inside their own box."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url} is {width}px wide on a {viewport}px screen"


def check_page(page, test_name: str, name: str) -> None:
    """axe at desktop and phone width, the page fitting each, a screenshot of each."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        axe_check(page)
        fits_the_width(page)
        shot(page, test_name, f"{name}-{label}")
    page.set_viewport_size(DESKTOP)


@dataclass
class Site:
    """A page on the live server, named after its test for the screenshots."""

    page: object
    url: str
    test_name: str

    def go(self, path: str):
        self.page.goto(self.url + path)
        return self.page

    def check(self, name: str) -> None:
        check_page(self.page, self.test_name, name)

    def shot(self, name: str) -> None:
        shot(self.page, self.test_name, name)
