"""Runs a SageMaker Training job (CreateTrainingJob) as a local process: channels, checkpoints, metrics, model."""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import contract
from local_cloud.sagemaker.faults import take_capacity_fault
from local_cloud.sagemaker.job_run import (
    CONTAINER_ROOT,
    JobContext,
    JobRequestError,
    JobRun,
    base_environment,
    in_root,
    read_failure,
    required,
)
from local_cloud.sagemaker.processes import run_process
from local_cloud.sagemaker.s3_io import download_prefix, upload_folder, upload_tarball
from local_cloud.sagemaker.training_env import training_environment


class TrainingTracker(Protocol):
    """Records a training job with ExperimentConfig as SageMaker does (a trial component)."""

    def started(self, description: dict) -> None: ...
    def finished(self, description: dict, metric_series: dict[str, list[float]]) -> None: ...


class CpuShares:
    """Training jobs running at once share this machine's CPUs (in AWS each has its own instance).

    A job starts with an equal share among the training jobs running at that moment, itself
    included: two jobs on 2 cores get one thread each, where two threads each would oversubscribe
    the cores and stall torch's thread pools (measured: tens of times slower per epoch).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0

    @contextlib.contextmanager
    def share(self) -> Iterator[int]:
        with self._lock:
            self._running += 1
            cpus = max(1, (os.cpu_count() or 1) // self._running)
        try:
            yield cpus
        finally:
            with self._lock:
                self._running -= 1


TRAINING_CPUS = CpuShares()


def run_training_job(context: JobContext, request: dict, tracker: TrainingTracker | None = None) -> dict:
    """Channels and checkpoints downloaded, `python -m jobs train` run, model.tar.gz uploaded; DescribeTrainingJob."""
    name, output_path = _checked(request)
    tracked = tracker is not None and bool(request.get("ExperimentConfig"))
    metric_series: dict[str, list[float]] = {}
    with JobRun(context, "training", name, request, SecondaryStatus="Starting") as run:
        if tracker is not None and tracked:
            tracker.started(run.description)
        injected = take_capacity_fault(context.run_dir, name)
        if injected:
            run.fail(injected)
            return _finished(run, {}, tracker if tracked else None)
        paths = contract.ContainerPaths(run.root)
        checkpoint = request.get("CheckpointConfig")
        checkpoint_dir = _checkpoint_dir(checkpoint, run.root)
        code, timed_out, output = _train(run, request, paths, checkpoint_dir)
        metric_series = parse_metric_series(
            output, request.get("AlgorithmSpecification", {}).get("MetricDefinitions", [])
        )
        if checkpoint and checkpoint_dir:  # spot resume needs them whatever the outcome
            upload_folder(context.s3, checkpoint_dir, checkpoint["S3Uri"])
        base = output_path.rstrip("/") + f"/{name}/output/"
        if any(paths.output_data.iterdir()):
            upload_tarball(context.s3, paths.output_data, base + "output.tar.gz")
        max_runtime = request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
        if timed_out:
            run.fail(f"MaxRuntimeExceeded: Training job ran longer than {max_runtime} s")
        elif code != 0:
            run.fail("AlgorithmError: " + read_failure(run.root, f"exit code {code}; see {run.log}"))
        else:
            upload_tarball(context.s3, paths.model, base + "model.tar.gz")
            run.description["ModelArtifacts"] = {"S3ModelArtifacts": base + "model.tar.gz"}

    return _finished(run, metric_series, tracker if tracked else None)


def _finished(run: JobRun, metric_series: dict[str, list[float]], tracker: TrainingTracker | None) -> dict:
    """The final DescribeTrainingJob (published), and the Experiments record told of it."""

    def end_fields(ended) -> dict:
        seconds = max(1, int((ended - run.created).total_seconds()))
        return {
            "SecondaryStatus": run.status,
            "TrainingTimeInSeconds": seconds,
            "BillableTimeInSeconds": seconds,
            "FinalMetricDataList": [
                {"MetricName": metric, "Value": values[-1], "Timestamp": ended}
                for metric, values in metric_series.items()
            ],
        }

    description = run.finish(end_fields)
    if tracker is not None:
        tracker.finished(description, metric_series)
    return description


def _checked(request: dict) -> tuple[str, str]:
    """(TrainingJobName, S3OutputPath) of a request SageMaker would accept; JobRequestError otherwise."""
    name = required(request, "TrainingJobName")
    output_path = required(request, "OutputDataConfig").get("S3OutputPath")
    if not output_path:
        raise JobRequestError("OutputDataConfig.S3OutputPath is required")
    for key, value in (request.get("HyperParameters") or {}).items():
        if not isinstance(value, str):  # the API itself rejects non-string values
            raise JobRequestError(f"HyperParameters.{key} must be a string, got {type(value).__name__}")
    return name, output_path


def _checkpoint_dir(checkpoint: dict | None, root: Path) -> Path | None:
    """CheckpointConfig.LocalPath (default /opt/ml/checkpoints) inside the job's folder; None without checkpoints."""
    if not checkpoint:
        return None
    default = str(contract.ContainerPaths(Path(CONTAINER_ROOT)).checkpoints)
    return in_root(checkpoint.get("LocalPath") or default, root)


def _download_channels(run: JobRun, request: dict, paths: contract.ContainerPaths) -> list[str]:
    channels = []
    for channel in request.get("InputDataConfig", []):
        source = channel.get("DataSource", {}).get("S3DataSource")
        if not source:
            raise JobRequestError(f"channel {channel.get('ChannelName')}: only S3DataSource is supported")
        download_prefix(run.context.s3, source["S3Uri"], paths.channel(channel["ChannelName"]))
        channels.append(channel["ChannelName"])
    return channels


def _train(
    run: JobRun, request: dict, paths: contract.ContainerPaths, checkpoint_dir: Path | None
) -> tuple[int | None, bool, str]:
    """The container run with its share of the CPUs: (exit code, timed out, this run's output)."""
    channels = _download_channels(run, request, paths)
    paths.hyperparameters.parent.mkdir(parents=True, exist_ok=True)
    paths.hyperparameters.write_text(json.dumps(request.get("HyperParameters") or {}))
    with TRAINING_CPUS.share() as cpus:
        env = training_environment(run.root, request, channels, run.arn, cpus=cpus)
        paths.resource_config.write_text(env["SM_RESOURCE_CONFIG"])
        paths.input_data_config.write_text(env["SM_INPUT_DATA_CONFIG"])
        for folder in (paths.model, paths.output_data, paths.checkpoints):
            folder.mkdir(parents=True, exist_ok=True)
        checkpoint = request.get("CheckpointConfig")
        if checkpoint and checkpoint_dir:
            restored = download_prefix(run.context.s3, checkpoint["S3Uri"], checkpoint_dir)
            run.note(f"restored {len(restored)} checkpoint file(s) from {checkpoint['S3Uri']}")
        run.description["SecondaryStatus"] = "Training"
        run.publish()
        command = [*run.context.entrypoint, contract.TRAIN_ARGUMENT]
        run.note(f"training job {run.name}: {' '.join(command)}")
        # The log is appended to (a job name reused in a kept run folder): metrics are this run's only.
        log_start = run.log.stat().st_size
        code, timed_out = run_process(
            run.context.children,
            command,
            env={**base_environment(run.root), **env, **(request.get("Environment") or {})},
            cwd=run.root,
            log=run.log,
            max_runtime_s=request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds"),
        )
    with run.log.open("rb") as written:
        written.seek(log_start)
        return code, timed_out, written.read().decode(errors="replace")


def parse_metric_series(text: str, definitions: list[dict]) -> dict[str, list[float]]:
    """Every value each MetricDefinitions regex captures in the job's output, in order."""
    series: dict[str, list[float]] = {}
    for definition in definitions:
        for match in re.finditer(definition["Regex"], text):
            try:
                series.setdefault(definition["Name"], []).append(float(match.group(1)))
            except (ValueError, IndexError):
                continue
    return series
