"""`python -m steppewire_local run` as a user starts it: readable lines per invocation, a prompt stop."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.system import REPO_ROOT, free_port, run_command

pytestmark = pytest.mark.integration

REQUEST_LINE = re.compile(r"RatesApiFunction [0-9a-f-]{36} ok 200 \d+ ms( cold)? \d+/512 MB")


def test_run_serves_prints_a_line_per_invocation_and_stops_within_5_s_of_sigterm(tmp_path: Path) -> None:
    api_port, aws_port, site_port = free_port(), free_port(), free_port()
    command, environment = run_command(tmp_path, api_port, aws_port, site_port)
    output = tmp_path / "output.txt"
    with output.open("wb") as sink:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "state" / "state.json").exists():
            assert process.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/rates", timeout=30) as response:
            assert response.status == 200
            assert json.loads(response.read())["items"]
        with urllib.request.urlopen(f"http://127.0.0.1:{site_port}/config.json", timeout=30) as response:
            assert json.loads(response.read()) == {"api": f"http://127.0.0.1:{api_port}"}

        process.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        exit_code = process.wait(timeout=10)
        stopped_in = time.monotonic() - stopping
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    printed = output.read_text()
    assert (exit_code, stopped_in < 5) == (0, True), printed
    assert REQUEST_LINE.search(printed), printed
    assert '"service"' not in printed  # the functions' JSON logs went to their files
    assert '"service":"rates-ingest"' in (tmp_path / "state" / "logs" / "RatesIngestFunction.log").read_text()
    assert not (tmp_path / "state" / "state.json").exists()
