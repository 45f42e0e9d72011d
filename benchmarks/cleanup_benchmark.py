"""Prints wall time and API calls per deleted record for cleaning up a 200-trial experiment locally.

The experiment is laid out as a run leaves it: one preprocessing component shared by every trial
plus one training component per trial (2 components per trial). The cleanup function's handler
runs in-process against moto with the enforcing Experiments API, pass after pass like the cleanup
state machine, until done; the waits the state machine would insert after passes without progress
(`waitSeconds`) are added up, not slept. Target: at most 2.5 API requests per deleted record.

    .venv/bin/python benchmarks/cleanup_benchmark.py [--trials 200] [--throttle 0.3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, like the other benchmarks

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from moto import mock_aws  # noqa: E402

from lambdas.cleanup_experiment import handler as cleanup  # noqa: E402
from local_cloud import experiments, plug  # noqa: E402

ACCOUNT, REGION = "123456789012", "us-east-1"
TARGET_REQUESTS_PER_RECORD = 2.5


class Context:
    function_name, memory_limit_in_mb, aws_request_id = "cleanup", 256, "benchmark"
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:cleanup"

    def __init__(self, budget_s: float) -> None:
        self.deadline = time.monotonic() + budget_s

    def get_remaining_time_in_millis(self) -> int:
        return int((self.deadline - time.monotonic()) * 1000)


def build(backend: experiments.ExperimentsBackend, trials: int) -> int:
    backend.call("CreateExperiment", {"ExperimentName": "bench"})
    backend.call("CreateTrialComponent", {"TrialComponentName": "bench-preprocessing"})
    for i in range(trials):
        backend.call("CreateTrial", {"TrialName": f"bench-trial-{i}", "ExperimentName": "bench"})
        backend.call(
            "AssociateTrialComponent", {"TrialComponentName": "bench-preprocessing", "TrialName": f"bench-trial-{i}"}
        )
        backend.record_training_job(
            training_job_name=f"bench-train-{i}",
            training_job_arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/bench-train-{i}",
            experiment_config={"TrialName": f"bench-trial-{i}"},
            status="Completed",
            final_metrics={"test:accuracy": 90.0},
        )
    return 1 + trials + (trials + 1)  # experiment, trials, components


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--throttle", type=float, default=0.0, help="fraction of calls answered ThrottlingException")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds per cleanup invocation (Lambda timeout)")
    args = parser.parse_args()

    plug.install()
    with mock_aws():
        backend = experiments.backend_for(ACCOUNT, REGION)
        records = build(backend, args.trials)
        backend.calls.clear()
        backend.inject_throttling(args.throttle, seed=42)
        event: dict = {"experimentName": "bench", "keepComponents": False}
        passes = waits = 0
        start = time.perf_counter()
        while True:
            passes += 1
            event = cleanup.handler(event, Context(args.budget))
            if event["done"]:
                break
            waits += event["waitSeconds"]
        wall = time.perf_counter() - start
        left = len(backend.experiments) + len(backend.trials) + len(backend.components)

    calls = sum(backend.calls.values())
    deleted = event["deleted"]
    deleted_records = deleted["experiment"] + deleted["trials"] + deleted["trialComponents"]
    print(
        f"experiment: {args.trials} trials x 2 components ({records} records, {2 * args.trials} associations), "
        f"throttled fraction {args.throttle}"
    )
    print(
        f"passes: {passes}, wall time: {wall:.2f} s (+ {waits} s the state machine would wait between passes), "
        f"records left: {left}"
    )
    print(f"deleted: {deleted}, kept: {event['kept']}")
    print(
        f"API requests: {calls} ({sum(backend.throttled.values())} throttled)  by action: "
        + ", ".join(f"{k} {v}" for k, v in sorted(backend.calls.items()))
    )
    print(
        f"per deleted record: {calls / deleted_records:.2f} API requests (target <= {TARGET_REQUESTS_PER_RECORD}), "
        f"{1000 * wall / deleted_records:.2f} ms"
    )
    accepted = calls - sum(backend.throttled.values())
    print(f"per deleted record, throttled attempts left out: {accepted / deleted_records:.2f} API requests")
    print(f"per deleted record or association: {calls / (deleted_records + deleted['associations']):.2f} API requests")


if __name__ == "__main__":
    main()
