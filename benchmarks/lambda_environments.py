"""Invoke latency of a function on the local Lambda runtime: the cold start against warm invocations.

The function imports what the project's functions import (boto3, Powertools) and makes its client at
module level, as they do; a warm invocation reuses the environment and its client, a cold one pays
the interpreter start and those imports. Figures are milliseconds of `LambdaRuntime.invoke`, end to end.

    .venv/bin/python -m benchmarks.lambda_environments [--invocations 30]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from local_cloud.awslambda.runtime import FunctionPackage, LambdaRuntime  # noqa: E402

HANDLER = """
import boto3
from aws_lambda_powertools import Logger

logger = Logger()
sagemaker = boto3.client("sagemaker")  # once per execution environment, as the project's functions do

@logger.inject_lambda_context
def handler(event, context):
    logger.info("invoked", extra={"n": event["n"]})
    return {"n": event["n"], "region": sagemaker.meta.region_name}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations", type=int, default=30)
    args = parser.parse_args()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", HANDLER)
    function = FunctionPackage(
        name="benchmark",
        arn="arn:aws:lambda:us-east-1:123456789012:function:benchmark",
        handler="app.handler",
        code_zip=archive.getvalue(),
        environment={"POWERTOOLS_SERVICE_NAME": "benchmark"},
        timeout_s=30,
        memory_mb=256,
    )
    with tempfile.TemporaryDirectory() as run_dir:
        runtime = LambdaRuntime(run_dir=Path(run_dir), endpoint_url="http://localhost:1", region="us-east-1")
        timings = []
        try:
            for n in range(args.invocations):
                started = time.perf_counter()
                result = runtime.invoke(function, json.dumps({"n": n}).encode())
                timings.append((time.perf_counter() - started) * 1000)
                assert not result.errored, result.payload
        finally:
            runtime.shutdown()
    warm = timings[1:]
    print(
        f"{args.invocations} invocations of one function, one at a time, "
        f"on {runtime.environments_started} environment(s)"
    )
    print(f"cold start (first invocation): {timings[0]:.0f} ms")
    print(
        f"warm invocations: median {statistics.median(warm):.1f} ms, p90 {sorted(warm)[int(len(warm) * 0.9)]:.1f} ms,"
        f" max {max(warm):.1f} ms"
    )


if __name__ == "__main__":
    main()
