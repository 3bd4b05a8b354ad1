"""`make bench`: what Lambda users pay for on every cold start, measured against baselines in the same run.

For each function with a sample event, a fresh interpreter imports its handler and invokes it once on
that event (against the embedded AWS and the recorded rate feeds, so no network), beside two
yardsticks measured in the same loop: a bare `import boto3`, and a minimal Powertools handler of the
same kind (Logger, Tracer, Metrics and a validating resolver for API functions; the SAM `hello-pt`
shape). Reported as medians and ratios. Then the search benchmark (`bench/search_bench.py`: the index
against a naive Scan-and-filter on 1k/10k/50k-article corpora; `BENCH_SEARCH_SIZES`, empty to skip), and
the search quality evaluation (`bench/search_eval.py`, what `make eval` runs alone; `BENCH_EVAL=0` skips it,
and so does the absence of its data in `../shared/data`). The last line is one JSON object with every figure.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import botocore.session
from moto.server import ThreadedMotoServer

from steppewire_local import LocalStack
from steppewire_local.recorded_feeds import RecordedRatesFeeds

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
TARGET_RATIO = 1.2


@dataclass(frozen=True)
class Subject:
    function: str  # logical id in template.yaml
    event: str  # file under events/
    twin: str  # module of the minimal Powertools handler of the same kind


SUBJECTS = (
    Subject("RatesApiFunction", "events/rates_api_ticker.json", "bench.twins.api_twin"),
    Subject("RatesIngestFunction", "events/rates_ingest_scheduled.json", "bench.twins.schedule_twin"),
    Subject("PublishFunction", "events/publish_s3_put_via_sqs.json", "bench.twins.batch_twin"),
    Subject("ArticlesApiFunction", "events/articles_api_list.json", "bench.twins.api_twin"),
    Subject("SearchApiFunction", "events/search_api_query.json", "bench.twins.api_twin"),
    Subject("SearchIndexFunction", "events/search_index_via_sqs.json", "bench.twins.batch_twin"),
)
SAMPLE_ARTICLE = "---\ntitle: Tenge steadies after the rate decision\ndate: 2026-11-20\ntags: economy\n---\n\n{}\n"


def fresh_upload(stack: LocalStack, run: int) -> str:
    """A new version of the file the sample S3 event names, and that event with a later sequencer: each
    measured publish does the whole job (an identical event would be answered by idempotency)."""
    s3 = cast("S3Client", botocore.session.get_session().create_client("s3"))
    body = SAMPLE_ARTICLE.format(f"Version {run} of the text.").encode()
    s3.put_object(Bucket=stack.physical_id("ArticlesBucket"), Key="incoming/story.md", Body=body)
    event = json.loads((ROOT / "events" / "publish_s3_put_via_sqs.json").read_text())
    notification = json.loads(event["Records"][0]["body"])
    notification["Records"][0]["s3"]["object"] |= {"sequencer": f"{run + 1:020X}", "size": len(body)}
    event["Records"][0]["body"] = json.dumps(notification)
    path = Path(tempfile.gettempdir()) / f"steppewire-bench-publish-{run}.json"
    path.write_text(json.dumps(event))
    return str(path)


def cold_start(module: str, event: str, env: Mapping[str, str]) -> tuple[float, float]:
    """Milliseconds from the first import to the end of the first invocation, in a fresh interpreter,
    and the import part of it."""
    child = [sys.executable, str(ROOT / "bench" / "cold_start_child.py"), module, event]
    done = subprocess.run(child, env=dict(env), cwd=ROOT, capture_output=True, text=True, check=False)
    line = next((row for row in done.stdout.splitlines() if row.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"{module} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    timings = json.loads(line.removeprefix("BENCH "))
    if os.environ.get("BENCH_VERBOSE"):
        print(f"  {module}: import {timings['import_ms']:.0f} ms, first invocation {timings['invoke_ms']:.0f} ms")
    return float(timings["import_ms"] + timings["invoke_ms"]), float(timings["import_ms"])


def lambda_like_env(stack: LocalStack, function: str, endpoint: str) -> dict[str, str]:
    spec = stack.function(function)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("POWERTOOLS_", "RATES_"))}
    env |= spec.environment | {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_REGION": spec.region,
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "LAMBDA_TASK_ROOT": str(ROOT),  # Powertools' Tracer behaves as in Lambda (no daemon: segments dropped)
        "PYTHONPATH": os.pathsep.join([*spec.layer_paths, str(ROOT)]),
    }
    return env


def main() -> None:
    cold = cold_start_section()
    from bench import (
        search_bench,  # after the cold starts: nothing of the search bench runs beside them
        search_eval,
    )

    sizes = search_bench.sizes_from_env()
    evaluate = os.environ.get("BENCH_EVAL", "1") != "0" and search_eval.available()
    # The evaluation queues behind the search bench's tasks: it runs on the worker the smaller sizes leave.
    search, quality = search_bench.run(sizes, search_eval.run if evaluate else None) if sizes else (None, None)
    if quality is None and evaluate:
        quality = search_eval.run()
    if search is not None:
        print()
        search_bench.report(search)
    if quality is not None:
        print()
        search_eval.report(quality)
    print(
        json.dumps(
            cold
            | {"search": search_bench.for_json(search) if search else None}
            | {"eval": search_eval.for_json(quality) if quality else None}
        )
    )


def cold_start_section() -> dict[str, object]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per DynamoDB call is noise
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ |= {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    feeds = RecordedRatesFeeds(live=False)
    try:
        stack = LocalStack.create(ROOT / "template.yaml", parameters=feeds.parameter_overrides())
        stack.deploy()
        feeds.before_start(stack)  # the ticker has data, so the API's first call does real work
        results = measure(stack, endpoint)
    finally:
        feeds.stop()
        server.stop()
    return report(results)


def measure(stack: LocalStack, endpoint: str) -> dict[str, dict[str, float]]:
    series = ("handler", "twin", "boto3", "handler_import", "twin_import")
    samples: dict[str, dict[str, list[float]]] = {s.function: {name: [] for name in series} for s in SUBJECTS}
    for run in range(RUNS):  # interleaved, so drift on a shared machine hits every series alike
        for subject in SUBJECTS:
            env = lambda_like_env(stack, subject.function, endpoint)
            spec = stack.function(subject.function)
            event = fresh_upload(stack, run) if subject.function == "PublishFunction" else subject.event
            handler, handler_import = cold_start(spec.module, event, env)
            twin, twin_import = cold_start(subject.twin, subject.event, env)
            figures = {"handler": handler, "twin": twin, "boto3": cold_start("-", "-", env)[0]}
            figures |= {"handler_import": handler_import, "twin_import": twin_import}
            for name, value in figures.items():
                samples[subject.function][name].append(value)
    return {
        function: {name: statistics.median(values) for name, values in series.items()}
        for function, series in samples.items()
    }


def report(results: dict[str, dict[str, float]]) -> dict[str, object]:
    """Prints the cold-start table; returns its figures for the closing JSON line."""
    print(f"Cold start: import + first invocation in a fresh interpreter, median of {RUNS} runs (ms)")
    columns = "".join(f"{name:>10}" for name in ("handler", "PT twin", "boto3"))
    print(f"{'function':<22}{columns}{'handler/twin':>14}{'target':>9}{'imports':>9}")
    figures: dict[str, dict[str, float | bool]] = {}
    for function, medians in results.items():
        ratio = medians["handler"] / medians["twin"]
        import_ratio = medians["handler_import"] / medians["twin_import"]
        ok = ratio <= TARGET_RATIO
        print(
            f"{function:<22}{medians['handler']:>10.0f}{medians['twin']:>10.0f}{medians['boto3']:>10.0f}"
            f"{ratio:>14.2f}{'ok' if ok else 'OVER':>9}{import_ratio:>9.2f}"
        )
        figures[function] = {
            "handler_ms": round(medians["handler"], 1),
            "twin_ms": round(medians["twin"], 1),
            "boto3_import_ms": round(medians["boto3"], 1),
            "handler_over_twin": round(ratio, 3),
            "imports_handler_over_twin": round(import_ratio, 3),
            "within_target": ok,
        }
    return {"cold_start": figures, "runs": RUNS, "target_ratio": TARGET_RATIO}


if __name__ == "__main__":
    main()
