"""The reader's site in a real browser: the whole local system started as `make run` starts it (own free
ports, own state folder), Debian's chromium driven by Playwright, axe-core from its PyPI bundle.

Skipped, saying why, only where no chromium is installed; CI (.ci/run) installs it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.browser.system import CHROMIUM, LANG_STORE, NO_CHROMIUM, Reader, local_system

AXE = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
HOSTILE_SLUG = "hostile-markup-check"
# Uploaded through the bucket like any article. The publisher strips tags, but keeps markup a writer spelled
# as entities as literal text (the title below reaches the API as `<img src=x onerror=...>`): the site must
# insert it as text. The body's markup is for the server's sanitizer, its code span for escaping in body_html.
HOSTILE_TITLE = "<img src=x onerror=window.pwned=1> hostile markup"
HOSTILE_ARTICLE = f"""---
title: "&lt;img src=x onerror=window.pwned=1&gt; hostile markup"
date: 2026-11-20T10:00:00+05:00
slug: {HOSTILE_SLUG}
lang: en
author: "Mallory &lt;script&gt;window.pwned=2&lt;/script&gt;"
category: Economy
country: Kazakhstan
summary: "1 &lt; 2 &lt;svg onload=window.pwned=3&gt; hostile markup summary"
---

Hostile markup body `<img src=x onerror="window.pwned='code'">` <img src=x onerror="window.pwned='body'">
and <script>window.pwned='script'</script> <a href="javascript:window.pwned='link'">a link</a>
<div onmouseover="window.pwned='hover'">hover here</div>.
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM is None:
        for item in items:
            if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
                item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.fixture(scope="session")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    """The whole system, the samples and the hostile article searchable."""
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    with local_system(tmp_path_factory.mktemp("run"), {"hostile.md": HOSTILE_ARTICLE}, "hostile markup") as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


class Tab:
    """A page with the console errors and uncaught exceptions it raised."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} at {message.location.get('url')}")

    def open(self, path: str) -> int:
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return response.status if response else 0

    def axe_serious(self) -> list[tuple[str, str, list[str]]]:
        """axe-core's serious and critical violations: rule, impact, the offending elements."""
        self.page.evaluate(AXE)
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        return [
            (v["id"], v["impact"], [n["html"][:120] for n in v["nodes"]])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]


@pytest.fixture(params=["en"])
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def tab(browser: Browser, reader: Reader, lang: str) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang)
    # Only a first visit's choice: the reader's own switch, later, must survive navigation.
    store, chosen = json.dumps(LANG_STORE), json.dumps(lang)
    context.add_init_script(f"localStorage.getItem({store}) || localStorage.setItem({store}, {chosen})")
    opened = Tab(context.new_page(), reader.site)
    yield opened
    context.close()
