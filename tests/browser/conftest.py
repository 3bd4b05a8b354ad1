"""The reader's site in a real browser: the whole local system started as `make run` starts it (own free
ports, own state folder), Debian's chromium driven by Playwright, axe-core from its PyPI bundle.

Skipped, saying why, only where no chromium is installed; CI (.ci/run) installs it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import boto3
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from steppewire_local.samples import ARTICLES_BUCKET, SAMPLES_PREFIX

REPO_ROOT = Path(__file__).resolve().parents[2]
# The real binary first: /usr/bin/chromium is Debian's wrapper script around it.
CHROMIUM = os.environ.get("STEPPEWIRE_CHROMIUM") or next(
    (p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium")) if p and os.access(p, os.X_OK)), None
)
NO_CHROMIUM = "no chromium executable (apt-get install chromium, or set STEPPEWIRE_CHROMIUM); .ci/run installs it"
AXE = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
STORE = "steppewire.lang"  # the key site/js/i18n.js keeps the language under
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Reader:
    """The running system as a reader reaches it."""

    site: str
    api: str

    def api_json(self, path: str) -> dict:  # type: ignore[type-arg]
        with urllib.request.urlopen(self.api + path, timeout=30) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]


def wait_for(check, what: str, process: subprocess.Popen[bytes], output: Path, seconds: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        assert process.poll() is None, output.read_text()
        assert time.monotonic() < deadline, f"{what} not within {seconds} s\n{output.read_text()}"
        time.sleep(0.3)


@pytest.fixture(scope="session")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    """`python -m steppewire_local run` on free ports; the samples and the hostile article searchable."""
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    folder = tmp_path_factory.mktemp("run")
    api_port, aws_port, site_port = free_port(), free_port(), free_port()
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "POWERTOOLS_"))}
    environment["PYTHONPATH"] = os.pathsep.join(str(REPO_ROOT / part) for part in ("shared", "local", "."))
    output = folder / "output.txt"
    command = [sys.executable, "-m", "steppewire_local", "run", "--api-port", str(api_port)]
    command += ["--aws-port", str(aws_port), "--site-port", str(site_port), "--state-dir", str(folder / "state")]
    with output.open("wb") as sink:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=sink, stderr=subprocess.STDOUT)
    running = Reader(f"http://127.0.0.1:{site_port}", f"http://127.0.0.1:{api_port}")
    try:
        state = folder / "state" / "state.json"
        wait_for(state.exists, "the stack", process, output)
        bucket = json.loads(state.read_text())["resources"][ARTICLES_BUCKET]["physical_id"]
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{aws_port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.put_object(Bucket=bucket, Key=SAMPLES_PREFIX + "hostile.md", Body=HOSTILE_ARTICLE.encode())

        def searchable() -> bool:
            english = running.api_json("/search?q=tenge&lang=en")["total"]
            hostile = running.api_json("/search?q=hostile+markup")["total"]
            return bool(english and hostile)

        wait_for(searchable, "the sample and hostile articles in search", process, output)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
    context.add_init_script(f"localStorage.getItem({STORE!r}) || localStorage.setItem({STORE!r}, {json.dumps(lang)})")
    opened = Tab(context.new_page(), reader.site)
    yield opened
    context.close()
