"""Fixtures of the report tests: audit dicts, rendered reports, and one headless Chromium per module.

Browser tests need Debian's chromium at /usr/bin/chromium (``apt-get install chromium``; never
``playwright install``). Without it they skip with that reason, unless REQUIRE_BROWSER=1 (as CI sets),
when they fail. Everything written goes under pytest's tmp paths, so `pytest -n 2` workers never share
a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.report.fixtures import csv_result, realistic_result, small_result

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture
def realistic():
    return realistic_result()


@pytest.fixture
def small():
    return small_result()


@pytest.fixture
def csv_data():
    return csv_result()


@pytest.fixture(scope="module")
def chromium():
    """One headless Debian Chromium for the whole module (closed at the end)."""
    if not Path(CHROMIUM).exists():
        if browser_required():
            pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(
            f"{CHROMIUM} not found (apt-get install chromium); set REQUIRE_BROWSER=1 to fail instead"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class PageLog:
    """What a page did: dialogs opened, console messages, page errors, requests."""

    def __init__(self, page):
        self.dialogs: list[str] = []
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda m: self.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def assert_clean(self) -> None:
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        assert self.errors == [], f"page errors: {self.errors}"
        bad = [c for c in self.console if c[0] in ("error", "warning")]
        assert bad == [], f"console errors or warnings: {bad}"
        external = [u for u in self.requests if not u.startswith(("file:", "data:"))]
        assert external == [], f"requests other than file:/data: {external}"


def open_page(browser, path: Path, *, javascript: bool = True, color_scheme: str = "light"):
    """A new page (own context) showing `path`, with its `PageLog`."""
    context = browser.new_context(
        java_script_enabled=javascript,
        viewport={"width": 1200, "height": 900},
        color_scheme=color_scheme,
    )
    page = context.new_page()
    log = PageLog(page)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, log
