"""Runs a SageMaker Training job (CreateTrainingJob) as a local process: channels, checkpoints, metrics, model."""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import re
import threading
import time
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
    api_access,
    base_environment,
    container_command,
    in_root,
    mlflow_access,
    now,
    read_failure,
    required,
)
from local_cloud.sagemaker.processes import MAX_RUNTIME, STOPPED, run_process
from local_cloud.sagemaker.s3_io import FolderSync, download_prefix, upload_tarball
from local_cloud.sagemaker.spot import INTERRUPTED, SpotInterruption
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
MAX_WAIT = "MaxWaitTimeExceeded"  # a spot job past StoppingCondition.MaxWaitTimeInSeconds


def run_training_job(context: JobContext, request: dict, tracker: TrainingTracker | None = None) -> dict:
    """Channels and checkpoints downloaded, `python -m jobs train` run, model.tar.gz uploaded; DescribeTrainingJob.

    Checkpoints are synced to CheckpointConfig.S3Uri while the job runs; a planned spot interruption
    (local_cloud/sagemaker/spot.py) ends the attempt with SIGTERM and restarts the job on a fresh folder.
    """
    name, output_path = checked_request(request)
    tracked = tracker is not None and bool(request.get("ExperimentConfig"))
    spot = bool(request.get("EnableManagedSpotTraining"))
    interruption = context.spot_market.take(name) if spot and context.spot_market is not None else None
    billable_s = 0.0
    output, ended_by = "", None
    with JobRun(context, "training", name, request, SecondaryStatus="Starting") as run:
        if tracker is not None and tracked:
            tracker.started(run.description)
        # A capacity fault injected for this name (local_cloud/sagemaker/faults.py): the job fails as
        # SageMaker fails one it cannot provision instances for, before any container runs.
        injected = take_capacity_fault(context.run_dir, name)
        if injected is not None:
            run.fail(injected)
        else:
            log_start = (
                run.log.stat().st_size if run.log.exists() else 0
            )  # a job name reused in a kept run folder: metrics are this job's only
            while True:
                attempt_started = time.monotonic()
                code, ended_by = _attempt(run, request, interruption, billable_s)
                billable_s += time.monotonic() - attempt_started
                if ended_by != INTERRUPTED or interruption is None:
                    break
                run.secondary(INTERRUPTED, "Training job interrupted by a spot instance reclaim; waiting for capacity")
                if context.stop_requested.wait(interruption.capacity_wait_s):
                    ended_by = STOPPED
                    break
                interruption = None
                context.job_root("training", name)  # a new instance: a fresh disk, checkpoints restored from S3
            output = _read_from(run.log, log_start)
            _conclude(run, request, output_path, code, ended_by)
    metric_series = parse_metric_series(output, request.get("AlgorithmSpecification", {}).get("MetricDefinitions", []))

    def end_fields(ended) -> dict:
        seconds = max(1, int((ended - run.created).total_seconds()))
        final = run.description.get("SecondaryStatus") if ended_by in (MAX_RUNTIME, MAX_WAIT) else run.status
        transitions = run.description.setdefault("SecondaryStatusTransitions", [])
        if transitions and "EndTime" not in transitions[-1]:
            transitions[-1]["EndTime"] = ended
        message = run.reason or final
        transitions.append({"Status": final, "StartTime": ended, "EndTime": ended, "StatusMessage": message})
        return {
            "SecondaryStatus": final,
            # BillableTimeInSeconds: "You can calculate the savings from using managed spot training using the
            # formula (1 - BillableTimeInSeconds / TrainingTimeInSeconds) * 100": the time spent waiting for
            # spot capacity is in the training time, not billed.
            "TrainingTimeInSeconds": seconds,
            "BillableTimeInSeconds": min(seconds, max(1, round(billable_s))) if spot else seconds,
            "FinalMetricDataList": [
                {"MetricName": metric, "Value": values[-1], "Timestamp": ended}
                for metric, values in metric_series.items()
            ],
        }

    description = run.finish(end_fields)
    if tracker is not None and tracked:
        tracker.finished(description, metric_series)
    return description


def _conclude(run: JobRun, request: dict, output_path: str, code: int | None, ended_by: str | None) -> None:
    """The job's outcome from how its last attempt ended; outputs uploaded as SageMaker does."""
    paths = contract.ContainerPaths(run.root)
    base = output_path.rstrip("/") + f"/{run.name}/output/"
    if paths.output_data.is_dir() and any(paths.output_data.iterdir()):
        upload_tarball(run.context.s3, paths.output_data, base + "output.tar.gz")
    stopping = request.get("StoppingCondition", {})
    if ended_by == STOPPED:
        run.stopped()
    elif ended_by == MAX_RUNTIME:
        run.description["SecondaryStatus"] = MAX_RUNTIME
        run.fail(f"MaxRuntimeExceeded: Training job ran longer than {stopping.get('MaxRuntimeInSeconds')} s")
    elif ended_by == MAX_WAIT:
        # model-managed-spot-training-status: "Stopping: Stopping -> Stopped: MaxWaitTimeExceeded".
        run.description["SecondaryStatus"] = MAX_WAIT
        run.stopped()
        run.reason = f"MaxWaitTimeExceeded: the job did not complete within {stopping.get('MaxWaitTimeInSeconds')} s"
    elif code != 0:
        run.fail("AlgorithmError: " + read_failure(run.root, f"exit code {code}; see {run.log}"))
    else:
        run.secondary("Uploading", "Uploading generated training model")
        upload_tarball(run.context.s3, paths.model, base + "model.tar.gz")
        run.description["ModelArtifacts"] = {"S3ModelArtifacts": base + "model.tar.gz"}


def _reached(interruption: SpotInterruption | None, sync: FolderSync | None) -> bool:
    """A planned spot interruption is due: a checkpoint file it names has been synced to S3."""
    if interruption is None or sync is None:
        return False
    return any(fnmatch.fnmatch(name, interruption.after_checkpoint) for name in sync.synced)


def _read_from(log: Path, offset: int) -> str:
    with log.open("rb") as written:
        written.seek(offset)
        return written.read().decode(errors="replace")


def checked_request(request: dict) -> tuple[str, str]:
    """(TrainingJobName, S3OutputPath) of a request SageMaker would accept; JobRequestError otherwise."""
    name = required(request, "TrainingJobName")
    output_path = required(request, "OutputDataConfig").get("S3OutputPath")
    if not output_path:
        raise JobRequestError("OutputDataConfig.S3OutputPath is required")
    for key, value in (request.get("HyperParameters") or {}).items():
        if not isinstance(value, str):  # the API itself rejects non-string values
            raise JobRequestError(f"HyperParameters.{key} must be a string, got {type(value).__name__}")
    return name, output_path


def _container_command(request: dict, image_entrypoint: list[str]) -> list[str]:
    """ "SageMaker AI runs the image as `docker run image train`" unless AlgorithmSpecification.
    ContainerEntrypoint is given: "This script takes precedence over the default train processing
    instructions" (CreateTrainingJob)."""
    algorithm = request.get("AlgorithmSpecification") or {}
    entrypoint = algorithm.get("ContainerEntrypoint")
    # The image's own `train` takes no ContainerArguments here: they go with the request's entrypoint.
    arguments = algorithm.get("ContainerArguments") if entrypoint else None
    return container_command(entrypoint, arguments, [*image_entrypoint, contract.TRAIN_ARGUMENT])


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


def _attempt(
    run: JobRun, request: dict, interruption: SpotInterruption | None, billed_s: float
) -> tuple[int | None, str | None]:
    """One run of the container on a (fresh) instance with its share of the CPUs: (exit code, why it was ended)."""
    context = run.context
    paths = contract.ContainerPaths(run.root)
    checkpoint = request.get("CheckpointConfig")
    checkpoint_dir = _checkpoint_dir(checkpoint, run.root)
    run.secondary("Starting", "Preparing the instances for training")
    run.secondary("Downloading", "Downloading input data")
    channels = _download_channels(run, request, paths)
    paths.hyperparameters.parent.mkdir(parents=True, exist_ok=True)
    paths.hyperparameters.write_text(json.dumps(request.get("HyperParameters") or {}))
    stopping = request.get("StoppingCondition", {})
    max_runtime = stopping.get("MaxRuntimeInSeconds")
    max_wait = stopping.get("MaxWaitTimeInSeconds") if request.get("EnableManagedSpotTraining") else None
    with TRAINING_CPUS.share() as cpus:
        env = training_environment(run.root, request, channels, run.arn, cpus=cpus)
        paths.resource_config.write_text(env["SM_RESOURCE_CONFIG"])
        paths.input_data_config.write_text(env["SM_INPUT_DATA_CONFIG"])
        for folder in (paths.model, paths.output_data, paths.checkpoints):
            folder.mkdir(parents=True, exist_ok=True)
        sync = None
        if checkpoint and checkpoint_dir:
            restored = download_prefix(context.s3, checkpoint["S3Uri"], checkpoint_dir)
            run.note(f"restored {len(restored)} checkpoint file(s) from {checkpoint['S3Uri']}")
            # Enable checkpointing: "SageMaker AI saves checkpoints to Amazon S3 and syncs your training job
            # with the checkpoint S3 bucket" - while it runs, not only at its end.
            sync = FolderSync(context.s3, checkpoint_dir, checkpoint["S3Uri"])
            sync.sync()  # what was restored is already there; later changes are the job's
        run.secondary("Training", "Training image download completed. Training in progress.")
        command = _container_command(request, context.entrypoint)
        run.note(f"training job {run.name}: {' '.join(command)}")

        def watch() -> str | None:
            if context.stop_requested.is_set():
                return STOPPED
            if sync is not None:
                for synced in sync.sync():
                    run.note(f"checkpoint {synced} synced to s3://{sync.bucket}/{sync.prefix}")
            if _reached(interruption, sync):
                run.note(f"spot interruption after checkpoint {interruption.after_checkpoint}: SIGTERM")  # type: ignore[union-attr]
                return INTERRUPTED
            if max_wait is not None and (now() - run.created).total_seconds() > max_wait:
                return MAX_WAIT
            return None

        code, ended_by = run_process(
            context.children,
            command,
            env={
                **base_environment(run.root),
                **api_access(context, bool(request.get("EnableNetworkIsolation"))),
                **mlflow_access(request),
                **env,
                **(request.get("Environment") or {}),
            },
            cwd=run.root,
            log=run.log,
            max_runtime_s=None if max_runtime is None else max(0.0, max_runtime - billed_s),
            watch=watch,
        )
        if sync is not None:  # what the job wrote last (or in its SIGTERM window)
            sync.sync()
    return code, ended_by


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
