"""The training entrypoint as a process: accuracy, metric lines, failures, checkpoint resume."""

from __future__ import annotations

import json
import re
import signal
import time

import pytest
import torch

import contract
from tests.jobs.conftest import run_job, start_job, training_root

pytestmark = pytest.mark.xdist_group("jobs")


def test_default_hyperparameters_reach_95_percent_and_print_the_metric_lines(trained):
    root, result = trained
    assert result.returncode == 0, result.stdout + result.stderr
    epochs = contract.HYPERPARAMETERS_BY_NAME["epochs"].default
    # Exactly one line per metric and epoch, in the format the state machine's regexes capture.
    for metric in contract.METRICS:
        lines = [line for line in result.stdout.splitlines() if re.search(metric.regex, line)]
        assert len(lines) == epochs, (metric.name, result.stdout)
        assert all(re.fullmatch(metric.regex.replace("(.*?)", r"[0-9.]+"), line) for line in lines), lines
    metrics = contract.parse_metrics(result.stdout)  # what SageMaker records: the last value of each
    assert set(metrics) == set(contract.METRICS_BY_NAME)
    assert metrics["test:accuracy"] >= 95.0, result.stdout
    assert 0 < metrics["test:loss"] < metrics["train:loss"] < 2.4  # both fell below chance (ln 10)

    paths = contract.ContainerPaths(root)
    config = json.loads((paths.model / contract.MODEL_CONFIG_FILE).read_text())
    assert config["metrics"]["test:accuracy"] == pytest.approx(metrics["test:accuracy"], abs=1e-4)
    assert (config["image_height"], config["image_width"], config["hidden_channels"]) == (8, 8, 10)
    assert (paths.model / contract.MODEL_WEIGHTS_FILE).stat().st_size > 0
    summary = json.loads((paths.output_data / contract.TRAINING_SUMMARY_FILE).read_text())
    assert summary["threads"] == 1 and summary["device"] == "cpu"  # SM_NUM_CPUS=1, SM_NUM_GPUS=0
    assert not paths.failure.exists()


@pytest.mark.parametrize(
    ("hyperparameters", "expected"),
    [
        ({"hidden_channels": "0"}, "hidden_channels: 0 is below the minimum 1"),
        ({"optimizer": "rmsprop"}, "optimizer: 'rmsprop' is not one of sgd, adam"),
        ({"epochs": "two"}, "epochs: 'two' is not a number"),
        ({"batch_size": "12.5"}, "batch_size: '12.5' is not a whole number"),
        ({"learning_rate": "0.1"}, "unknown hyperparameter 'learning_rate'"),
    ],
    ids=["range", "choice", "number", "whole", "unknown"],
)
def test_a_bad_hyperparameter_writes_the_failure_file_and_exits_non_zero(
    tmp_path, preprocessed, hyperparameters, expected
):
    root = training_root(tmp_path, preprocessed, {"hidden_channels": "5", **hyperparameters})
    result = run_job(["jobs", "train"], root)
    assert result.returncode != 0
    failure = contract.ContainerPaths(root).failure.read_text()
    assert failure.startswith("invalid hyperparameters: ") and expected in failure
    assert expected in result.stderr
    assert not contract.ContainerPaths(root).model.exists()


def test_a_missing_channel_fails_naming_it(tmp_path, preprocessed):
    root = training_root(tmp_path, preprocessed, {})
    (contract.ContainerPaths(root).channel(contract.TEST_CHANNEL) / contract.LABELS_FILE).unlink()
    result = run_job(["jobs", "train"], root)
    assert result.returncode != 0
    assert "channel 'test'" in contract.ContainerPaths(root).failure.read_text()


# Small batches make each epoch long enough (~0.2 s) to kill the run between two checkpoints.
RESUMABLE = {"hidden_channels": "5", "epochs": "6", "batch_size": "8", "lr": "0.05"}


def test_a_run_killed_after_a_checkpoint_resumes_and_ends_as_an_uninterrupted_run(tmp_path, preprocessed):
    root = training_root(tmp_path / "interrupted", preprocessed, RESUMABLE)
    paths = contract.ContainerPaths(root)
    job = start_job(["jobs", "train"], root)
    try:
        deadline = time.monotonic() + 60
        while not list(paths.checkpoints.glob("*.pt")) and job.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        job.send_signal(signal.SIGKILL)  # a spot interruption gives no time to clean up
    finally:
        job.wait(timeout=30)
        assert job.stdout is not None
        job.stdout.close()
    assert job.returncode == -signal.SIGKILL, "the job finished before it could be killed"
    assert not paths.model.exists()
    checkpoints = sorted(p.name for p in paths.checkpoints.glob("*.pt"))
    assert checkpoints and checkpoints[-1] < "checkpoint-epoch-0006.pt", checkpoints
    done = int(checkpoints[-1].removeprefix("checkpoint-epoch-").removesuffix(".pt"))

    resumed = run_job(["jobs", "train"], root)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"Resuming from checkpoint-epoch-{done:04d}.pt" in resumed.stdout
    assert resumed.stdout.count("Test Accuracy:") == 6 - done  # only the epochs left

    reference_root = training_root(tmp_path / "uninterrupted", preprocessed, RESUMABLE)
    reference = run_job(["jobs", "train"], reference_root)
    assert reference.returncode == 0, reference.stderr
    # Deterministic for a seed, interrupted or not: the same final metrics and the same weights.
    assert contract.parse_metrics(resumed.stdout) == contract.parse_metrics(reference.stdout)
    weights = [torch.load(r / "model" / contract.MODEL_WEIGHTS_FILE, weights_only=True) for r in (root, reference_root)]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][name], weights[1][name]) for name in weights[0])
