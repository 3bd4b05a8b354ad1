"""Run in a fresh interpreter: import one handler module, invoke it once, print the timings as JSON.

argv: module (e.g. functions.rates_api.app, or `-` for a bare `import boto3`), event file (or `-`).
"""

import json
import sys
import time
from pathlib import Path


class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench-request"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def main() -> None:
    module_name, event_path = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    if module_name == "-":
        import boto3  # noqa: F401

        imported = invoked = time.perf_counter()
    else:
        module = __import__(module_name, fromlist=["lambda_handler"])
        imported = time.perf_counter()
        event = json.loads(Path(event_path).read_text())
        result = module.lambda_handler(event, Context())
        invoked = time.perf_counter()
        # A first call that failed would measure an error path, not a cold start: the parent refuses it.
        if isinstance(result, dict) and (result.get("batchItemFailures") or result.get("statusCode", 200) >= 400):
            raise SystemExit(f"the first invocation failed: {json.dumps(result)[:500]}")
    timings = {"import_ms": (imported - started) * 1000, "invoke_ms": (invoked - imported) * 1000}
    sys.stderr.flush()
    print("BENCH " + json.dumps(timings))


if __name__ == "__main__":
    main()
