"""Wall time of the local pipeline at MaxConcurrency 1 and 2, jobs vs orchestration, memory, state size, history.

Each concurrency gets a fresh local cloud and its own `cdk deploy -c trialConcurrency=N`. Job time
comes from the SageMaker API (Describe*Job start and end of every processing, training and
transform job); Lambda time from the invocation logs; orchestration is the rest of the wall time
(state transitions, Lambda process start-up, polling). Memory is the summed RSS of every process
of the local cloud's process group (server, jobs, model server, Lambdas), sampled every 0.2 s.
The largest state payload is the longest input or output of any event of the execution's history
(Step Functions refuses one over 256 KiB with States.DataLimitExceeded), also counted from the plan on
(the execution input holds every trial as given; what the pipeline's states carry starts with
ValidateInput's output), and the history length is
its event count (25,000 at most): the two figures a bigger sweep grows.

    .venv/bin/python benchmarks/local_pipeline.py [--trials 2,5,10,20,32 | --sweep N] [--concurrency 1,2] [--epochs N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract import stacks, states  # noqa: E402
from local_cloud.cloud import LocalCloud, group_members  # noqa: E402
from local_cloud.demo import upload_sample_dataset  # noqa: E402
from local_cloud.deploy import deploy  # noqa: E402

PAGE_KB = 1024


class PeakMemory(threading.Thread):
    """Largest summed resident memory of a process group seen while running."""

    def __init__(self, group: int, interval_s: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.group, self.interval_s, self.peak_bytes = group, interval_s, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak_bytes = max(self.peak_bytes, sum(_rss(pid) for pid in group_members(self.group)))
            self._halt.wait(self.interval_s)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * PAGE_KB
    except OSError:
        pass
    return 0


def union_seconds(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def history_figures(sfn, arn: str) -> tuple[int, int, int]:
    """(event count, largest input or output payload in bytes, the same once ValidateInput has made
    the plan) of an execution's history. The first two states see the execution input itself, which
    holds every trial as given; from the plan on, the state should carry pointers only."""
    events, largest, largest_after_plan, planned = 0, 0, 0, False
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        for event in page["events"]:
            events += 1
            # ValidateInput's exit carries the plan: from that event on, the state is the pipeline's own.
            planned = planned or (event.get("stateExitedEventDetails") or {}).get("name") == states.VALIDATE_INPUT
            for key, details in event.items():
                if key.endswith("EventDetails") and isinstance(details, dict):
                    for field in ("input", "output"):
                        size = len(str(details.get(field) or "").encode())
                        largest = max(largest, size)
                        if planned:
                            largest_after_plan = max(largest_after_plan, size)
    return events, largest, largest_after_plan


def run_once(concurrency: int, hidden_channels: list[int], epochs: int | None, mlflow: bool = True) -> dict:
    """One deploy and one execution; `mlflow`: the stacks' MLflow App and the local MLflow server, or neither
    (context mlflowTracking=false)."""
    with (
        tempfile.TemporaryDirectory(prefix="local-pipeline-") as run_dir,
        LocalCloud(run_dir, mlflow=mlflow) as cloud,
    ):
        assert cloud.process_group is not None  # started by the with statement
        memory = PeakMemory(cloud.process_group)
        memory.start()
        started = time.monotonic()
        outputs = deploy(
            cloud.endpoint_url,
            work_dir=cloud.run_dir,
            context={"trialConcurrency": str(concurrency), "mlflowTracking": str(mlflow).lower()},
        )
        if mlflow:
            cloud.wait_for_mlflow()
        deploy_s = time.monotonic() - started
        pipeline = outputs[stacks.pipeline_stack_name()]
        sfn, sagemaker = cloud.client("stepfunctions"), cloud.client("sagemaker")
        upload_sample_dataset(cloud, pipeline[stacks.BUCKET_OUTPUT])
        execution_input = {
            "experimentName": f"bench-c{concurrency}",
            "trials": [{"hidden_channels": h} for h in hidden_channels],
            **({"hyperparameters": {"epochs": epochs}} if epochs else {}),
        }
        started = time.monotonic()
        arn = sfn.start_execution(
            stateMachineArn=pipeline[stacks.TRAINING_STATE_MACHINE_OUTPUT], input=json.dumps(execution_input)
        )["executionArn"]
        while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            time.sleep(0.2)
        wall_s = time.monotonic() - started
        memory.stop()
        if described["status"] != "SUCCEEDED":
            raise SystemExit(f"concurrency {concurrency}: execution {described['status']}: {described.get('cause')}")
        history_events, largest_payload, largest_after_plan = history_figures(sfn, arn)
        jobs = []
        for kind, noun in (("processing", "Processing"), ("training", "Training"), ("transform", "Transform")):
            for page in sagemaker.get_paginator(f"list_{kind}_jobs").paginate():
                for summary in page[f"{noun}JobSummaries"]:
                    d = getattr(sagemaker, f"describe_{kind}_job")(**{f"{noun}JobName": summary[f"{noun}JobName"]})
                    jobs.append((kind, d[f"{noun}StartTime"], d[f"{noun}EndTime"]))
        intervals = [(s.timestamp(), e.timestamp()) for _, s, e in jobs]
        lambda_ms = [
            float(m.group(1))
            for log in (Path(run_dir) / "logs" / "lambda").rglob("*.log")
            for m in re.finditer(r"Duration: (\d+) ms", log.read_text(errors="replace"))
        ]
        output = json.loads(described["output"])
        return {
            "concurrency": concurrency,
            "mlflow": mlflow,
            "deploy_s": deploy_s,
            "wall_s": wall_s,
            "jobs": len(jobs),
            "job_sum_s": sum(e - s for s, e in intervals),
            "job_busy_s": union_seconds(intervals),
            "training_sum_s": sum((e - s).total_seconds() for k, s, e in jobs if k == "training"),
            "lambda_invocations": len(lambda_ms),
            "lambda_sum_s": sum(lambda_ms) / 1000,
            "peak_memory_gb": memory.peak_bytes / 1e9,
            "trials": output["outcomes"]["trials"],
            "completed": output["outcomes"]["completed"],
            "best_accuracy": output["best"]["value"],
            "history_events": history_events,
            "largest_payload_kib": largest_payload / 1024,
            "largest_after_plan_kib": largest_after_plan / 1024,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", default="2,5,10,20,32", help="hidden_channels of each trial")
    parser.add_argument("--concurrency", default="1,2", help="trialConcurrency values to compare")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of every trial (default: the contract's)")
    parser.add_argument("--sweep", type=int, default=None, help="N trials instead, hidden_channels 1..20 over and over")
    parser.add_argument(
        "--mlflow", default="on", help="on, off, or on,off: with MLflow tracking, without, or both (its cost)"
    )
    args = parser.parse_args()
    hidden = [int(h) for h in args.trials.split(",")]
    if args.sweep:
        hidden = [i % 20 + 1 for i in range(args.sweep)]
        args.trials = f"1..20 cycled, {args.sweep} trials"
    results = [
        run_once(int(c), hidden, args.epochs, mlflow=(m == "on"))
        for m in args.mlflow.split(",")
        for c in args.concurrency.split(",")
    ]
    epochs = f", epochs {args.epochs}" if args.epochs else ""
    print(f"local pipeline, {len(hidden)} trials (hidden_channels {args.trials}{epochs}), digits dataset")
    header = (
        "MLflow",
        "MaxConcurrency",
        "wall s",
        "jobs busy s",
        "orchestration s",
        "orch. s/trial",
        "job sum s",
        "training sum s",
        "lambda calls",
        "lambda sum s",
        "peak memory GB",
        "deploy s",
        "completed",
        "best acc %",
        "history events",
        "largest state KiB",
        "largest after the plan KiB",
    )
    print(" | ".join(header))
    for r in results:
        print(
            " | ".join(
                [
                    "on" if r["mlflow"] else "off",
                    f"{r['concurrency']}",
                    f"{r['wall_s']:.1f}",
                    f"{r['job_busy_s']:.1f}",
                    f"{r['wall_s'] - r['job_busy_s']:.1f}",
                    f"{(r['wall_s'] - r['job_busy_s']) / len(hidden):.2f}",
                    f"{r['job_sum_s']:.1f}",
                    f"{r['training_sum_s']:.1f}",
                    f"{r['lambda_invocations']}",
                    f"{r['lambda_sum_s']:.1f}",
                    f"{r['peak_memory_gb']:.2f}",
                    f"{r['deploy_s']:.1f}",
                    f"{r['completed']}/{r['trials']}",
                    f"{r['best_accuracy']:.2f}",
                    f"{r['history_events']}",
                    f"{r['largest_payload_kib']:.1f}",
                    f"{r['largest_after_plan_kib']:.1f}",
                ]
            )
        )
    if len(results) >= 2 and results[0]["mlflow"] == results[1]["mlflow"]:
        first, second = results[0], results[1]
        print(
            f"wall time ratio MaxConcurrency {first['concurrency']} / {second['concurrency']}: "
            f"{first['wall_s'] / second['wall_s']:.2f}x"
        )
    on = [r for r in results if r["mlflow"]]
    off = [r for r in results if not r["mlflow"]]
    for with_mlflow, without in zip(on, off, strict=False):
        extra = with_mlflow["wall_s"] - without["wall_s"]
        print(
            f"MLflow's cost at MaxConcurrency {with_mlflow['concurrency']}: {extra:+.1f} s wall "
            f"({extra / len(hidden):+.2f} s per trial), peak memory {with_mlflow['peak_memory_gb']:.2f} GB "
            f"against {without['peak_memory_gb']:.2f} GB"
        )
    peak = max(r["peak_memory_gb"] for r in results)
    print(f"peak memory of the whole local cloud: {peak:.2f} GB")
    # Issue 10's targets on 2 cores, at every sweep size.
    orchestration = max((r["wall_s"] - r["job_busy_s"]) / len(hidden) for r in results)
    checks = [
        ("orchestration per trial", orchestration, 0.3, "s"),
        ("largest state", max(r["largest_payload_kib"] for r in results), 32, "KiB"),
        ("parent history", max(r["history_events"] for r in results), 200, "events"),
        ("peak memory", peak, 2.0, "GB"),
    ]
    for name, value, target, unit in checks:
        verdict = "ok" if value <= target else "OVER"
        print(f"target {name}: {value:.2f} {unit} (<= {target} {unit}: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
