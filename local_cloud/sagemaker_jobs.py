"""Runs SageMaker Processing, Training and Transform jobs as local processes under the container contract.

Knows nothing of moto: it takes the Create*Job request as SageMaker receives it, an S3 client
pointed at the local cloud and a run folder, and returns the Describe*Job response. Each job gets
its own folder laid out like /opt/ml (the job finds it through OPT_ML_ROOT) and its output kept as
a log file, the local stand-in for CloudWatch Logs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import contract
from local_cloud.cloud import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The jobs image's ENTRYPOINT (`python3 -m jobs`), run with this interpreter: the venv holds the
# same packages as the image (jobs/requirements.txt).
IMAGE_ENTRYPOINT = [sys.executable, "-m", "jobs"]
CONTAINER_ROOT = contract.DEFAULT_OPT_ML_ROOT
HOST = "algo-1"  # SageMaker's name for the first (here: only) instance
SERVE_READY_TIMEOUT_S = 120
MIB = 1024 * 1024


class S3Client(Protocol):  # the subset of boto3's S3 client the runner uses
    def get_paginator(self, name: str) -> Any: ...
    def download_file(self, bucket: str, key: str, filename: str) -> None: ...
    def upload_file(self, filename: str, bucket: str, key: str) -> None: ...
    def get_object(self, **kwargs: Any) -> dict: ...


class JobRequestError(ValueError):
    """The Create*Job request cannot run (as SageMaker's ValidationException); names the field."""


class TrainingTracker(Protocol):
    """Records a training job with ExperimentConfig as SageMaker does (a trial component)."""

    def started(self, description: dict) -> None: ...
    def finished(self, description: dict, metric_series: dict[str, list[float]]) -> None: ...


@dataclass
class JobContext:
    account: str
    region: str
    run_dir: Path
    s3: S3Client
    partition: str = "aws"
    # Called with the Describe*Job response each time the job's status changes, so Describe*Job
    # answers InProgress while it runs.
    publish: Callable[[str, dict], None] = lambda kind, description: None
    children: ChildProcesses = field(default_factory=lambda: ChildProcesses())

    def arn(self, resource: str, name: str) -> str:
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:{resource}/{name.lower()}"

    def log_path(self, kind: str, name: str) -> Path:
        """The job's log: what CloudWatch Logs would hold under /aws/sagemaker/<Kind>Jobs."""
        path = self.run_dir / "logs" / f"{kind}-jobs" / f"{name}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def job_root(self, kind: str, name: str) -> Path:
        root = self.run_dir / "jobs" / f"{kind}-jobs" / name
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        return root


class ChildProcesses:
    """Every process the runner started and has not reaped, so a shutdown can end them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()

    def start(self, command: list[str], **kwargs: Any) -> subprocess.Popen:
        with self._lock:
            process = subprocess.Popen(command, **kwargs)
            self._running.add(process)
            return process

    def reap(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._running.discard(process)

    def terminate_all(self) -> None:
        with self._lock:
            running = list(self._running)
        for process in running:
            _terminate(process)


# --- S3 --------------------------------------------------------------------------------------------


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise JobRequestError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def download_prefix(s3: S3Client, uri: str, destination: Path) -> list[Path]:
    """S3Prefix semantics: every object under the prefix, laid out relative to it.

    A prefix naming a file ("…/test-images.csv") keeps the file's own name; a folder given without
    its trailing slash ("…/datasets/digits") is read as the folder.
    """
    bucket, prefix = split_s3_uri(uri)
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
        if not item["Key"].endswith("/")
    ]
    if not prefix or prefix.endswith("/"):
        base = prefix
    elif keys and all(key.startswith(prefix + "/") for key in keys):
        base = prefix + "/"
    else:
        base = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
    written = []
    for key in keys:
        target = destination / key[len(base) :]
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(target))
        written.append(target)
    return written


def upload_folder(s3: S3Client, folder: Path, uri: str) -> list[str]:
    bucket, prefix = split_s3_uri(uri)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    uploaded = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = prefix + path.relative_to(folder).as_posix()
        s3.upload_file(str(path), bucket, key)
        uploaded.append(f"s3://{bucket}/{key}")
    return uploaded


def upload_tarball(s3: S3Client, folder: Path, uri: str) -> None:
    """`folder`'s contents as a gzipped tar at `uri` (how SageMaker ships model.tar.gz)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    staged = folder.parent / (folder.name + ".tar.gz")
    staged.write_bytes(buffer.getvalue())
    bucket, key = split_s3_uri(uri)
    s3.upload_file(str(staged), bucket, key)
    staged.unlink()


# --- Shared process handling -----------------------------------------------------------------------


def in_root(container_path: str, root: Path) -> Path:
    """A /opt/ml/... path of the request, remapped into the job's folder."""
    path = Path(container_path)
    try:
        return root / path.relative_to(CONTAINER_ROOT)
    except ValueError:
        raise JobRequestError(f"LocalPath {container_path!r} is outside {CONTAINER_ROOT}") from None


def base_environment(root: Path) -> dict[str, str]:
    """What every job process sees: the interpreter's basics, the project on the path, the root.

    No AWS credentials or endpoint: the stacks run every job with network isolation.
    """
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        {
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONUNBUFFERED": "1",
            contract.OPT_ML_ROOT_ENV: str(root),
        }
    )
    return env


def run_process(
    context: JobContext, command: list[str], *, env: dict[str, str], cwd: Path, log: Path, max_runtime_s: float | None
) -> tuple[int | None, bool]:
    """Runs a job process with its output appended to `log`; (exit code, timed out)."""
    with log.open("ab") as out:
        process = context.children.start(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            return process.wait(timeout=max_runtime_s), False
        except subprocess.TimeoutExpired:
            _terminate(process)
            return process.returncode, True
        finally:
            context.children.reap(process)


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def log_line(log: Path, message: str) -> None:
    with log.open("a") as out:
        out.write(f"[local-cloud {dt.datetime.now(dt.UTC):%H:%M:%S}] {message}\n")


def read_failure(root: Path, fallback: str) -> str:
    failure = contract.ContainerPaths(root).failure
    if failure.is_file() and failure.read_text().strip():
        return failure.read_text().strip()[:1024]
    return fallback


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- Processing ------------------------------------------------------------------------------------


def run_processing_job(context: JobContext, request: dict) -> dict:
    name = _required(request, "ProcessingJobName")
    app = _required(request, "AppSpecification")
    entrypoint = list(app.get("ContainerEntrypoint") or IMAGE_ENTRYPOINT)
    if entrypoint and entrypoint[0] in ("python", "python3"):
        entrypoint[0] = sys.executable  # the image's python3 is the venv's interpreter here
    command = entrypoint + list(app.get("ContainerArguments") or [])
    root = context.job_root("processing", name)
    log = context.log_path("processing", name)
    created = now()
    description = {
        **request,
        "ProcessingJobArn": context.arn("processing-job", name),
        "ProcessingJobStatus": "InProgress",
        "CreationTime": created,
        "LastModifiedTime": created,
        "ProcessingStartTime": created,
    }
    context.publish("processing", description)
    log_line(log, f"processing job {name}: {' '.join(command)}")
    try:
        for item in request.get("ProcessingInputs", []):
            source = item.get("S3Input")
            if source:
                download_prefix(context.s3, source["S3Uri"], in_root(source["LocalPath"], root))
        outputs = request.get("ProcessingOutputConfig", {}).get("Outputs", [])
        for item in outputs:
            in_root(item["S3Output"]["LocalPath"], root).mkdir(parents=True, exist_ok=True)
        config_dir = root / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "processingjobconfig.json").write_text(json.dumps(request, default=str))
        (config_dir / "resourceconfig.json").write_text(json.dumps({"current_host": HOST, "hosts": [HOST]}))
        env = {**base_environment(root), **(request.get("Environment") or {})}
        max_runtime = request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
        code, timed_out = run_process(context, command, env=env, cwd=root, log=log, max_runtime_s=max_runtime)
        if timed_out:
            status, reason = "Failed", f"MaxRuntimeExceeded: the job ran longer than {max_runtime} s"
        elif code != 0:
            status, reason = "Failed", "AlgorithmError: " + read_failure(root, f"exit code {code}; see {log}")
        else:
            for item in outputs:
                upload_folder(context.s3, in_root(item["S3Output"]["LocalPath"], root), item["S3Output"]["S3Uri"])
            status, reason = "Completed", None
    except JobRequestError as error:
        status, reason = "Failed", f"ClientError: {error}"
    except Exception as error:  # an S3 or disk problem is the job's failure, not the emulator's
        status, reason = "Failed", f"InternalServerError: {type(error).__name__}: {error}"
    ended = now()
    description.update(ProcessingJobStatus=status, ProcessingEndTime=ended, LastModifiedTime=ended)
    if reason:
        description["FailureReason"] = reason
        description["ExitMessage"] = reason
    log_line(log, f"processing job {name}: {status}" + (f" ({reason})" if reason else ""))
    context.publish("processing", description)
    return description


# --- Training --------------------------------------------------------------------------------------


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


def training_environment(
    root: Path, request: dict, channels: list[str], job_arn: str, cpus: int | None = None
) -> dict[str, str]:
    """The SM_* variables as the SageMaker training toolkit sets them, pointing inside `root`."""
    paths = contract.ContainerPaths(root)
    hyperparameters = request.get("HyperParameters") or {}
    resources = request.get("ResourceConfig", {})
    cpus = cpus or os.cpu_count() or 1
    resource_config = {
        "current_host": HOST,
        "hosts": [HOST],
        "network_interface_name": "eth0",
        "current_instance_type": resources.get("InstanceType", "local"),
        "current_group_name": "homogeneousCluster",
        "instance_groups": [
            {
                "instance_group_name": "homogeneousCluster",
                "instance_type": resources.get("InstanceType", "local"),
                "hosts": [HOST],
            }
        ],
    }
    input_data_config = {
        c["ChannelName"]: {
            "TrainingInputMode": request.get("AlgorithmSpecification", {}).get("TrainingInputMode", "File"),
            "S3DistributionType": c.get("DataSource", {})
            .get("S3DataSource", {})
            .get("S3DataDistributionType", "FullyReplicated"),
            "RecordWrapperType": c.get("RecordWrapperType", "None"),
        }
        for c in request.get("InputDataConfig", [])
    }
    env = {
        "TRAINING_JOB_NAME": request["TrainingJobName"],
        "TRAINING_JOB_ARN": job_arn,
        "SM_MODEL_DIR": str(paths.model),
        "SM_INPUT_DIR": str(root / "input"),
        "SM_INPUT_CONFIG_DIR": str(root / "input" / "config"),
        "SM_OUTPUT_DIR": str(root / "output"),
        "SM_OUTPUT_DATA_DIR": str(paths.output_data),
        "SM_OUTPUT_INTERMEDIATE_DIR": str(root / "output" / "intermediate"),
        "SM_CHANNELS": json.dumps(sorted(channels)),
        "SM_HPS": json.dumps(hyperparameters),
        "SM_HOSTS": json.dumps([HOST]),
        "SM_CURRENT_HOST": HOST,
        "SM_CURRENT_INSTANCE_TYPE": resource_config["current_instance_type"],
        "SM_NETWORK_INTERFACE_NAME": "eth0",
        "SM_NUM_CPUS": str(cpus),
        "SM_NUM_GPUS": "0",
        "SM_NUM_NEURONS": "0",
        "SM_LOG_LEVEL": "20",
        "SM_USER_ARGS": json.dumps([f"--{k}" if i % 2 == 0 else v for k, v in hyperparameters.items() for i in (0, 1)]),
        "SM_RESOURCE_CONFIG": json.dumps(resource_config),
        "SM_INPUT_DATA_CONFIG": json.dumps(input_data_config),
        "SM_FRAMEWORK_PARAMS": "{}",
    }
    for channel in channels:
        env[f"SM_CHANNEL_{channel.upper()}"] = str(paths.channel(channel))
    for key, value in hyperparameters.items():
        env[f"SM_HP_{key.upper()}"] = str(value)
    env["SM_TRAINING_ENV"] = json.dumps(
        {
            "job_name": request["TrainingJobName"],
            "hosts": [HOST],
            "current_host": HOST,
            "channel_input_dirs": {c: str(paths.channel(c)) for c in channels},
            "hyperparameters": hyperparameters,
            "model_dir": str(paths.model),
            "output_data_dir": str(paths.output_data),
            "input_dir": str(root / "input"),
            "output_dir": str(root / "output"),
            "num_cpus": cpus,
            "num_gpus": 0,
            "resource_config": resource_config,
            "input_data_config": input_data_config,
        }
    )
    return env


def run_training_job(context: JobContext, request: dict, tracker: TrainingTracker | None = None) -> dict:
    name = _required(request, "TrainingJobName")
    output_path = _required(request, "OutputDataConfig").get("S3OutputPath")
    if not output_path:
        raise JobRequestError("OutputDataConfig.S3OutputPath is required")
    hyperparameters = request.get("HyperParameters") or {}
    for key, value in hyperparameters.items():
        if not isinstance(value, str):  # the API itself rejects non-string values
            raise JobRequestError(f"HyperParameters.{key} must be a string, got {type(value).__name__}")
    root = context.job_root("training", name)
    log = context.log_path("training", name)
    paths = contract.ContainerPaths(root)
    job_arn = context.arn("training-job", name)
    created = now()
    description = {
        **request,
        "TrainingJobArn": job_arn,
        "TrainingJobStatus": "InProgress",
        "SecondaryStatus": "Starting",
        "CreationTime": created,
        "LastModifiedTime": created,
        "TrainingStartTime": created,
    }
    context.publish("training", description)
    if tracker and request.get("ExperimentConfig"):
        tracker.started(description)
    metric_series: dict[str, list[float]] = {}
    try:
        channels = []
        for channel in request.get("InputDataConfig", []):
            source = channel.get("DataSource", {}).get("S3DataSource")
            if not source:
                raise JobRequestError(f"channel {channel.get('ChannelName')}: only S3DataSource is supported")
            download_prefix(context.s3, source["S3Uri"], paths.channel(channel["ChannelName"]))
            channels.append(channel["ChannelName"])
        config = paths.hyperparameters.parent
        config.mkdir(parents=True, exist_ok=True)
        paths.hyperparameters.write_text(json.dumps(hyperparameters))
        with TRAINING_CPUS.share() as cpus:
            env = training_environment(root, request, channels, job_arn, cpus=cpus)
            paths.resource_config.write_text(env["SM_RESOURCE_CONFIG"])
            paths.input_data_config.write_text(env["SM_INPUT_DATA_CONFIG"])
            for folder in (paths.model, paths.output_data, paths.checkpoints):
                folder.mkdir(parents=True, exist_ok=True)
            checkpoint = request.get("CheckpointConfig")
            checkpoint_dir = (
                in_root(
                    checkpoint.get("LocalPath") or str(contract.ContainerPaths(Path(CONTAINER_ROOT)).checkpoints), root
                )
                if checkpoint
                else None
            )
            if checkpoint:
                restored = download_prefix(context.s3, checkpoint["S3Uri"], checkpoint_dir)
                log_line(log, f"restored {len(restored)} checkpoint file(s) from {checkpoint['S3Uri']}")
            description["SecondaryStatus"] = "Training"
            context.publish("training", description)
            command = IMAGE_ENTRYPOINT + [contract.TRAIN_ARGUMENT]
            log_line(log, f"training job {name}: {' '.join(command)}")
            max_runtime = request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
            # The log is appended to (a job name reused in a kept run folder): metrics are this run's only.
            log_start = log.stat().st_size
            code, timed_out = run_process(
                context,
                command,
                env={**base_environment(root), **env, **(request.get("Environment") or {})},
                cwd=root,
                log=log,
                max_runtime_s=max_runtime,
            )
        with log.open("rb") as written:
            written.seek(log_start)
            output = written.read().decode(errors="replace")
        metric_series = parse_metric_series(
            output, request.get("AlgorithmSpecification", {}).get("MetricDefinitions", [])
        )
        if checkpoint:  # spot resume needs them whatever the outcome
            upload_folder(context.s3, checkpoint_dir, checkpoint["S3Uri"])
        base = output_path.rstrip("/") + f"/{name}/output/"
        if any(paths.output_data.iterdir()):
            upload_tarball(context.s3, paths.output_data, base + "output.tar.gz")
        if timed_out:
            status, reason = "Failed", f"MaxRuntimeExceeded: Training job ran longer than {max_runtime} s"
        elif code != 0:
            status, reason = "Failed", "AlgorithmError: " + read_failure(root, f"exit code {code}; see {log}")
        else:
            upload_tarball(context.s3, paths.model, base + "model.tar.gz")
            description["ModelArtifacts"] = {"S3ModelArtifacts": base + "model.tar.gz"}
            status, reason = "Completed", None
    except JobRequestError as error:
        status, reason = "Failed", f"ClientError: {error}"
    except Exception as error:
        status, reason = "Failed", f"InternalServerError: {type(error).__name__}: {error}"
    ended = now()
    seconds = max(1, int((ended - created).total_seconds()))
    description.update(
        TrainingJobStatus=status,
        SecondaryStatus=status,
        TrainingEndTime=ended,
        LastModifiedTime=ended,
        TrainingTimeInSeconds=seconds,
        BillableTimeInSeconds=seconds,
        FinalMetricDataList=[
            {"MetricName": metric, "Value": values[-1], "Timestamp": ended} for metric, values in metric_series.items()
        ],
    )
    if reason:
        description["FailureReason"] = reason
    log_line(log, f"training job {name}: {status}" + (f" ({reason})" if reason else ""))
    context.publish("training", description)
    if tracker and request.get("ExperimentConfig"):
        tracker.finished(description, metric_series)
    return description


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


# --- Batch transform -------------------------------------------------------------------------------


def run_transform_job(context: JobContext, request: dict, model: dict) -> dict:
    """`model`: the DescribeModel response of request["ModelName"]."""
    name = _required(request, "TransformJobName")
    root = context.job_root("transform", name)
    log = context.log_path("transform", name)
    created = now()
    description = {
        **request,
        "TransformJobArn": context.arn("transform-job", name),
        "TransformJobStatus": "InProgress",
        "CreationTime": created,
        "LastModifiedTime": created,
        "TransformStartTime": created,
    }
    context.publish("transform", description)
    server = None
    try:
        transform_input = _required(request, "TransformInput")
        transform_output = _required(request, "TransformOutput")
        container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
        model_data = container.get("ModelDataUrl")
        if not model_data:
            raise JobRequestError(f"model {request.get('ModelName')} has no ModelDataUrl")
        model_dir = contract.ContainerPaths(root).model
        model_dir.mkdir(parents=True)
        bucket, key = split_s3_uri(model_data)
        with tarfile.open(fileobj=io.BytesIO(context.s3.get_object(Bucket=bucket, Key=key)["Body"].read())) as tar:
            tar.extractall(model_dir, filter="data")
        inputs = download_prefix(
            context.s3, transform_input["DataSource"]["S3DataSource"]["S3Uri"], root / "transform-input"
        )
        if not inputs:
            raise JobRequestError(f"no input objects under {transform_input['DataSource']['S3DataSource']['S3Uri']}")
        port = free_port()
        env = {
            **base_environment(root),
            **(container.get("Environment") or {}),
            **(request.get("Environment") or {}),
            contract.SERVING_PORT_ENV: str(port),
            "SAGEMAKER_BATCH": "true",
            "SAGEMAKER_MAX_PAYLOAD_IN_MB": str(request.get("MaxPayloadInMB", 6)),
        }
        log_line(log, f"transform job {name}: serving {model_data} on port {port}")
        with log.open("ab") as out:
            server = context.children.start(
                IMAGE_ENTRYPOINT + [contract.SERVE_ARGUMENT],
                cwd=root,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        endpoint = f"http://127.0.0.1:{port}"
        wait_until_serving(endpoint, server)
        for path in inputs:
            relative = path.relative_to(root / "transform-input").as_posix()
            records = split_records(path.read_bytes(), transform_input.get("SplitType", "None"))
            batches = batch_records(
                records,
                request.get("BatchStrategy", "MultiRecord"),
                int(request.get("MaxPayloadInMB", 6)) * MIB,
                joiner=b"\n" if transform_input.get("SplitType") == "Line" else b"",
            )
            results = [
                invoke(
                    endpoint,
                    batch,
                    content_type=transform_input.get("ContentType"),
                    accept=transform_output.get("Accept"),
                )
                for batch in batches
            ]
            body = assemble(results, transform_output.get("AssembleWith", "None"))
            out_bucket, out_prefix = split_s3_uri(transform_output["S3OutputPath"])
            out_key = (out_prefix.rstrip("/") + "/" if out_prefix else "") + relative + ".out"
            staged = root / "transform-output" / (relative + ".out")
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(body)
            context.s3.upload_file(str(staged), out_bucket, out_key)
            log_line(
                log, f"{relative}: {len(records)} record(s) in {len(batches)} request(s) -> s3://{out_bucket}/{out_key}"
            )
        status, reason = "Completed", None
    except JobRequestError as error:
        status, reason = "Failed", f"ClientError: {error}"
    except TransformError as error:
        status, reason = "Failed", str(error)
    except Exception as error:
        status, reason = "Failed", f"InternalServerError: {type(error).__name__}: {error}"
    finally:
        if server is not None:
            _terminate(server)
            context.children.reap(server)
    ended = now()
    description.update(TransformJobStatus=status, TransformEndTime=ended, LastModifiedTime=ended)
    if reason:
        description["FailureReason"] = reason
    log_line(log, f"transform job {name}: {status}" + (f" ({reason})" if reason else ""))
    context.publish("transform", description)
    return description


class TransformError(RuntimeError):
    """The model server failed a request or never came up; the message is the FailureReason."""


def wait_until_serving(endpoint: str, server: subprocess.Popen, timeout_s: float = SERVE_READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise TransformError(
                f"ClientError: the model server exited with code {server.returncode} before "
                "answering /ping; see the transform job's log"
            )
        try:
            with urllib.request.urlopen(endpoint + "/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    raise TransformError(f"ClientError: the model server did not answer /ping within {timeout_s:.0f} s")


def split_records(data: bytes, split_type: str) -> list[bytes]:
    if split_type == "Line":
        return [line for line in data.split(b"\n") if line.strip()]
    if split_type in ("None", None):
        return [data]
    raise JobRequestError(f"TransformInput.SplitType {split_type!r} is not supported locally (Line, None)")


def batch_records(records: list[bytes], strategy: str, max_payload: int, *, joiner: bytes) -> list[bytes]:
    """Mini-batches as SageMaker forms them: as many records as fit in MaxPayloadInMB (MultiRecord)."""
    if strategy == "SingleRecord":
        batches = list(records)
    elif strategy == "MultiRecord":
        batches, current, size = [], [], 0
        for record in records:
            extra = len(record) + (len(joiner) if current else 0)
            if current and size + extra > max_payload:
                batches.append(joiner.join(current))
                current, size = [], 0
                extra = len(record)
            current.append(record)
            size += extra
        if current:
            batches.append(joiner.join(current))
    else:
        raise JobRequestError(f"BatchStrategy {strategy!r} must be MultiRecord or SingleRecord")
    for batch in batches:
        if len(batch) > max_payload:
            raise TransformError(f"ClientError: a record of {len(batch)} bytes exceeds MaxPayloadInMB")
    return batches


def invoke(endpoint: str, body: bytes, *, content_type: str | None, accept: str | None) -> bytes:
    headers = {"Content-Type": content_type or "application/octet-stream"}
    if accept:
        headers["Accept"] = accept
    request = urllib.request.Request(endpoint + "/invocations", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        detail = error.read()[:500].decode(errors="replace")
        raise TransformError(f"ClientError: /invocations answered {error.code}: {detail}") from None


def assemble(results: list[bytes], assemble_with: str) -> bytes:
    if assemble_with == "Line":
        return b"".join(r if r.endswith(b"\n") else r + b"\n" for r in results if r)
    return b"".join(results)


def _required(request: dict, key: str) -> Any:
    if not request.get(key):
        raise JobRequestError(f"{key} is required")
    return request[key]
