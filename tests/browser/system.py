"""The whole local system as `make run` starts it, on free ports with its own state folder, and the chromium
to look at it with; shared by the browser tests and `make screenshots` (tools/screenshots.py)."""

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
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3

from steppewire_local.samples import ARTICLES_BUCKET, SAMPLES_PREFIX

REPO_ROOT = Path(__file__).resolve().parents[2]
# The real binary first: /usr/bin/chromium is Debian's wrapper script around it.
CANDIDATES = (os.environ.get("STEPPEWIRE_CHROMIUM"), "/usr/lib/chromium/chromium", shutil.which("chromium"))
CHROMIUM = next((p for p in CANDIDATES if p and os.access(p, os.X_OK)), None)
LANG_STORE = "steppewire.lang"  # where site/js/i18n.js keeps the reader's language
NO_CHROMIUM = "no chromium executable (apt-get install chromium, or set STEPPEWIRE_CHROMIUM); .ci/run installs it"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_command(folder: Path, api_port: int, aws_port: int, site_port: int) -> tuple[list[str], dict[str, str]]:
    """`make run`'s command and environment on these ports, its state in `folder`/state, nothing from the
    tests' own AWS settings."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "POWERTOOLS_"))}
    environment["PYTHONPATH"] = os.pathsep.join(str(REPO_ROOT / part) for part in ("shared", "local", "."))
    command = [sys.executable, "-m", "steppewire_local", "run", "--api-port", str(api_port)]
    command += ["--aws-port", str(aws_port), "--site-port", str(site_port), "--state-dir", str(folder / "state")]
    return command, environment


@dataclass(frozen=True)
class Reader:
    """The running system as a reader reaches it."""

    site: str
    api: str

    def api_json(self, path: str) -> Any:
        with urllib.request.urlopen(self.api + path, timeout=30) as response:
            return json.loads(response.read())


def _wait_for(check: Callable[[], bool], what: str, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + 120
    while not check():
        assert process.poll() is None, output.read_text()
        assert time.monotonic() < deadline, f"{what} not within 120 s\n{output.read_text()}"
        time.sleep(0.3)


@contextmanager
def local_system(folder: Path, articles: Mapping[str, str], searchable: str) -> Iterator[Reader]:
    """`python -m steppewire_local run`, plus `articles` (file name -> text) uploaded through the articles
    bucket as an editor would; ready once the samples and `searchable` are found."""
    api_port, aws_port, site_port = free_port(), free_port(), free_port()
    command, environment = run_command(folder, api_port, aws_port, site_port)
    output = folder / "output.txt"
    with output.open("wb") as sink:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=sink, stderr=subprocess.STDOUT)
    running = Reader(f"http://127.0.0.1:{site_port}", f"http://127.0.0.1:{api_port}")
    try:
        state = folder / "state" / "state.json"
        _wait_for(state.exists, "the stack", process, output)
        bucket = json.loads(state.read_text())["resources"][ARTICLES_BUCKET]["physical_id"]
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{aws_port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for name, text in articles.items():
            s3.put_object(Bucket=bucket, Key=SAMPLES_PREFIX + name, Body=text.encode())

        def found() -> bool:
            return all(running.api_json(f"/search?q={quote(q)}")["total"] for q in ("tenge", searchable))

        _wait_for(found, f"the samples and {searchable!r} in search", process, output)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
