"""Fixtures that run the jobs entrypoints as real processes in folders laid out like /opt/ml."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import contract
from jobs.digits import write_digits

REPO_ROOT = Path(__file__).resolve().parents[2]
JOB_TIMEOUT_S = 120


def job_environment(root: Path, **extra: str) -> dict[str, str]:
    """The process environment of a job whose /opt/ml is `root`, with the SM_* variables the
    SageMaker training toolkit sets (one CPU: the test machine is shared)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "SAGEMAKER_"))}
    paths = contract.ContainerPaths(root)
    hyperparameters = json.loads(paths.hyperparameters.read_text()) if paths.hyperparameters.is_file() else {}
    channels = {name: str(paths.channel(name)) for name in contract.TRAINING_CHANNELS}
    env.update(
        {
            contract.OPT_ML_ROOT_ENV: str(root),
            "PYTHONPATH": str(REPO_ROOT),  # the image's PYTHONPATH=/opt/program
            "SM_MODEL_DIR": str(paths.model),
            "SM_INPUT_DIR": str(root / "input"),
            "SM_INPUT_CONFIG_DIR": str(root / "input" / "config"),
            "SM_OUTPUT_DIR": str(root / "output"),
            "SM_OUTPUT_DATA_DIR": str(paths.output_data),
            "SM_CHANNELS": json.dumps(sorted(channels)),
            **{f"SM_CHANNEL_{name.upper()}": path for name, path in channels.items()},
            "SM_HPS": json.dumps(hyperparameters),
            "SM_NUM_CPUS": "1",
            "SM_NUM_GPUS": "0",
            "SM_HOSTS": json.dumps(["algo-1"]),
            "SM_CURRENT_HOST": "algo-1",
            "SM_TRAINING_ENV": json.dumps({"channel_input_dirs": channels, "hyperparameters": hyperparameters}),
        }
    )
    env.update(extra)
    return env


def run_job(args: list[str], root: Path, **extra_env: str) -> subprocess.CompletedProcess:
    """`python -m <args>` to completion, in `root` as its working directory."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=root,
        env=job_environment(root, **extra_env),
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT_S,
    )


def start_job(args: list[str], root: Path, **extra_env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=root,
        env=job_environment(root, **extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def training_root(tmp: Path, preprocessed: Path, hyperparameters: dict[str, str]) -> Path:
    """An /opt/ml for a training job: channels copied from the preprocessing output, as SageMaker
    downloads them, and hyperparameters.json with string values."""
    root = tmp / "opt-ml"
    paths = contract.ContainerPaths(root)
    for channel in contract.TRAINING_CHANNELS:
        shutil.copytree(contract.ContainerPaths(preprocessed).processing_output(channel), paths.channel(channel))
    paths.hyperparameters.parent.mkdir(parents=True)
    paths.hyperparameters.write_text(json.dumps(hyperparameters))
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def preprocessed(tmp_path_factory) -> Path:
    """An /opt/ml after the processing job ran on the gzipped digits: outputs under processing/output."""
    root = tmp_path_factory.mktemp("preprocessed")
    write_digits(contract.ContainerPaths(root).processing_input(contract.RAW_INPUT), compress=True)
    result = run_job(["jobs.preprocess"], root)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="session")
def trained(tmp_path_factory, preprocessed) -> tuple[Path, subprocess.CompletedProcess]:
    """One training job with the default hyperparameters (the epochs the pipeline runs); shared by
    the training and serving tests. Returns its /opt/ml and the finished process."""
    # As the pipeline sends them: every hyperparameter, as a string.
    hyperparameters = {h.name: str(h.default) for h in contract.HYPERPARAMETERS}
    root = training_root(tmp_path_factory.mktemp("trained"), preprocessed, hyperparameters)
    return root, run_job(["jobs", contract.TRAIN_ARGUMENT], root)
