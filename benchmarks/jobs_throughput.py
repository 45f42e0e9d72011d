"""Prints the jobs image's training and serving throughput, peak memory and accuracy on the digits.

Runs the real entrypoints as processes, as the local cloud does: `python -m jobs.preprocess`,
`python -m jobs train` (default hyperparameters, then the pipeline's five hidden_channels trials)
and `python -m jobs serve`, posting ~6 MB MultiRecord CSV payloads (batch transform's default
MaxPayloadInMB) over HTTP. Peak memory is each process tree's maximum resident set size, from
wait4(2). Usage: `.venv/bin/python benchmarks/jobs_throughput.py [--requests N] [--workers N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import contract  # noqa: E402
from jobs.digits import write_digits  # noqa: E402

SWEEP = (2, 5, 10, 20, 32)  # the MNIST notebook's hidden_channels trials
PAYLOAD_BYTES = 6_000_000


def environment(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "SAGEMAKER_"))}
    paths = contract.ContainerPaths(root)
    env.update(
        {
            contract.OPT_ML_ROOT_ENV: str(root),
            "PYTHONPATH": str(REPO_ROOT),
            "SM_MODEL_DIR": str(paths.model),
            "SM_OUTPUT_DATA_DIR": str(paths.output_data),
            "SM_NUM_GPUS": "0",
            **{f"SM_CHANNEL_{c.upper()}": str(paths.channel(c)) for c in contract.TRAINING_CHANNELS},
        }
    )
    env.update(extra)
    return env


def run_measured(args: list[str], root: Path, **extra: str) -> tuple[int, float, float, str]:
    """(exit status, wall seconds, peak RSS in MiB of the process tree, output) of `python -m args`."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=root,
        env=environment(root, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None  # stdout=PIPE
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, time.perf_counter() - started, usage.ru_maxrss / 1024, output


def prepare(root: Path) -> None:
    paths = contract.ContainerPaths(root)
    write_digits(paths.processing_input(contract.RAW_INPUT), compress=True)
    status, seconds, peak, output = run_measured(["jobs.preprocess"], root)
    if status:
        sys.exit(output)
    print(f"preprocessing: {seconds:.2f} s wall, peak RSS {peak:.0f} MiB")
    for channel in contract.TRAINING_CHANNELS:
        paths.channel(channel).parent.mkdir(parents=True, exist_ok=True)
        paths.channel(channel).symlink_to(paths.processing_output(channel))


def train(root: Path, hyperparameters: dict[str, str], threads: int = 1) -> tuple[dict, float, float]:
    paths = contract.ContainerPaths(root)
    for leftover in (paths.checkpoints, paths.model, paths.output_data):
        subprocess.run(["rm", "-rf", str(leftover)], check=True)
    paths.hyperparameters.parent.mkdir(parents=True, exist_ok=True)
    paths.hyperparameters.write_text(json.dumps(hyperparameters))
    status, seconds, peak, output = run_measured(["jobs", "train"], root, SM_NUM_CPUS=str(threads))
    if status:
        sys.exit(output)
    summary = json.loads((paths.output_data / contract.TRAINING_SUMMARY_FILE).read_text())
    return summary, seconds, peak


def serve(root: Path, requests_count: int, workers: int) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "jobs", "serve"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment(root, **{contract.SERVING_PORT_ENV: str(port), "SAGEMAKER_MODEL_SERVER_WORKERS": str(workers)}),
    )
    while True:
        try:
            if requests.get(f"{url}/ping", timeout=10).status_code == 200:
                break
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.05)
    ready = time.perf_counter() - started

    transform = contract.ContainerPaths(root).processing_output(contract.TRANSFORM_OUTPUT)
    lines = (transform / contract.TRANSFORM_INPUT_FILE).read_bytes()
    labels = [int(v) for v in (transform / contract.TRANSFORM_LABELS_FILE).read_text().split()]
    copies = PAYLOAD_BYTES // len(lines)
    payload = lines * copies
    headers = {"Content-Type": contract.CSV_CONTENT_TYPE, "Accept": contract.JSONLINES_CONTENT_TYPE}
    records, correct, latencies = 0, 0, []
    for _ in range(requests_count):
        sent = time.perf_counter()
        response = requests.post(f"{url}/invocations", data=payload, headers=headers, timeout=120)
        latencies.append(time.perf_counter() - sent)
        response.raise_for_status()
        answers = response.text.splitlines()
        records += len(answers)
        correct += sum(
            json.loads(a)[contract.PREDICTION_LABEL_KEY] == label
            for a, label in zip(answers, labels * copies, strict=True)
        )
    busy = sum(latencies)
    server.send_signal(signal.SIGTERM)
    _, status, usage = os.wait4(server.pid, 0)
    server.returncode = os.waitstatus_to_exitcode(status)
    print(
        f"serving: ready (/ping 200) after {ready:.2f} s; {requests_count} MultiRecord requests of "
        f"{len(payload) / 1e6:.1f} MB ({len(labels) * copies} records each): {records / busy:,.0f} records/s, "
        f"{len(payload) * requests_count / busy / 1e6:.1f} MB/s, {1000 * min(latencies):.0f}-"
        f"{1000 * max(latencies):.0f} ms per request; {workers} worker(s)"
    )
    print(
        f"serving: accuracy of the answers {100 * correct / records:.2f}%; peak RSS (master or worker) "
        f"{usage.ru_maxrss / 1024:.0f} MiB; exit status after SIGTERM {server.returncode}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5, help="MultiRecord requests to time (default 5)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1)")
    options = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs (shared with other work: figures are noisy)")
    with tempfile.TemporaryDirectory(prefix="jobs-benchmark-") as folder:
        root = Path(folder)
        prepare(root)
        defaults = {h.name: str(h.default) for h in contract.HYPERPARAMETERS}
        # SM_NUM_CPUS threads is what SageMaker gives; one thread shows what threading costs on tiny images.
        for threads in sorted({1, os.cpu_count() or 1}):
            summary, seconds, peak = train(root, defaults, threads)
            final = summary["final_metrics"]
            print(
                f"training (defaults: {defaults['epochs']} epochs, hidden_channels {defaults['hidden_channels']}, "
                f"SM_NUM_CPUS={threads}): {summary['images_per_second']:,.0f} images/s in the training loop, "
                f"{seconds:.2f} s wall for the whole job, peak RSS {peak:.0f} MiB, "
                f"test accuracy {final['test:accuracy']:.2f}%"
            )
        serve(root, options.requests, options.workers)  # the model trained with the defaults
        for seed in ("1", "2"):
            accuracies = []
            for hidden in SWEEP:
                sweep_summary, _, _ = train(root, {**defaults, "hidden_channels": str(hidden), "seed": seed})
                accuracies.append(f"{hidden}: {sweep_summary['final_metrics']['test:accuracy']:.2f}%")
            print(
                f"pipeline trials (epochs {defaults['epochs']}, seed {seed}), hidden_channels -> test accuracy: "
                + ", ".join(accuracies)
            )


if __name__ == "__main__":
    main()
