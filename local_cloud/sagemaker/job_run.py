"""`JobRun`: the one lifecycle of a Processing, Training or Transform job, and what every job shares.

A job is described (Describe*Job's response), published InProgress, run, and published again
Completed or Failed with its FailureReason, each step in its log. The runners (processing.py,
training.py, transform.py) only say what their kind does in between.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import contract
from contract import tracking
from local_cloud.mlflow.server import URL_ENV as MLFLOW_URL_ENV
from local_cloud.sagemaker.processes import ChildProcesses

if TYPE_CHECKING:
    from local_cloud.sagemaker.s3_io import S3Client

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The jobs image's ENTRYPOINT (`python3 -m jobs`), run with this interpreter: the venv holds the
# same packages as the image (jobs/requirements.txt).
IMAGE_ENTRYPOINT = [sys.executable, "-m", "jobs"]
CONTAINER_ROOT = contract.DEFAULT_OPT_ML_ROOT
HOST = "algo-1"  # SageMaker's name for the first (here: only) instance


class JobRequestError(ValueError):
    """The Create*Job request cannot run (as SageMaker's ValidationException); names the field."""


class JobFailure(RuntimeError):
    """The job failed for a reason its runner states in full: the message is the FailureReason."""


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
    children: ChildProcesses = field(default_factory=ChildProcesses)
    # The container's entrypoint (tests run a stand-in image through it).
    entrypoint: list[str] = field(default_factory=lambda: list(IMAGE_ENTRYPOINT))
    # Set by Stop*Job (and by a stopped execution's .sync task): the runner ends the job's process.
    stop_requested: threading.Event = field(default_factory=threading.Event)
    # The local cloud's endpoint: what a job without network isolation reaches AWS through; None: in-process moto.
    endpoint_url: str | None = None
    # CreationTime, when Create*Job already answered it (jobs at the API); None: now.
    created: dt.datetime | None = None
    # Planned spot interruptions (local_cloud/sagemaker/spot.py SpotMarket); None: none.
    spot_market: Any = None

    def arn(self, resource: str, name: str) -> str:
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:{resource}/{name.lower()}"

    def log_path(self, kind: str, name: str) -> Path:
        """The job's log: what CloudWatch Logs would hold under /aws/sagemaker/<Kind>Jobs."""
        from local_cloud.run_logs import job_log

        path = job_log(self.run_dir, kind, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def job_root(self, kind: str, name: str) -> Path:
        root = self.run_dir / "jobs" / f"{kind}-jobs" / name
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        return root


class JobRun:
    """with JobRun(context, "training", name, request) as run: ...; description = run.finish()

    Entering publishes the job InProgress. An exception inside the block fails the job instead of
    the emulator, as in SageMaker: a JobRequestError is a ClientError, a JobFailure its own reason,
    anything else (an S3 or disk problem) an InternalServerError. `finish` stamps the end and
    publishes the final Describe*Job response.
    """

    def __init__(self, context: JobContext, kind: str, name: str, request: dict, **initial: Any) -> None:
        self.context, self.kind, self.name = context, kind, name
        self.title = kind.capitalize()  # Processing, Training, Transform: the API's field prefix
        self.root = context.job_root(kind, name)
        self.log = context.log_path(kind, name)
        self.created = context.created or now()
        self.status = "Completed"
        self.reason: str | None = None
        self.description: dict = {
            **request,
            f"{self.title}JobArn": context.arn(f"{kind}-job", name),
            f"{self.title}JobStatus": "InProgress",
            **initial,
            "CreationTime": self.created,
            "LastModifiedTime": self.created,
            f"{self.title}StartTime": self.created,
        }

    @property
    def arn(self) -> str:
        return self.description[f"{self.title}JobArn"]

    def __enter__(self) -> JobRun:
        self.publish()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> bool:
        if isinstance(error, JobRequestError):
            self.fail(f"ClientError: {error}")
        elif isinstance(error, JobFailure):
            self.fail(str(error))
        elif isinstance(error, Exception):
            self.fail(f"InternalServerError: {type(error).__name__}: {error}")
        # Any Exception is the job's failure, not the emulator's; KeyboardInterrupt/SystemExit pass.
        return isinstance(error, Exception)

    def fail(self, reason: str) -> None:
        self.status, self.reason = "Failed", reason

    def stopped(self) -> None:
        """Stop*Job ended it: "After SageMaker stops the job, it sets the status to Stopped"."""
        self.status = "Stopped"

    def secondary(self, status: str, message: str) -> None:
        """A training job's SecondaryStatus and its SecondaryStatusTransitions entry ("StartTime - when the
        training job transitioned to the current secondary status state"; EndTime - when it left it)."""
        at = now()
        transitions = self.description.setdefault("SecondaryStatusTransitions", [])
        if transitions and "EndTime" not in transitions[-1]:
            transitions[-1]["EndTime"] = at
        transitions.append({"Status": status, "StartTime": at, "StatusMessage": message})
        self.description["SecondaryStatus"] = status
        self.description["LastModifiedTime"] = at
        self.publish()

    def publish(self) -> None:
        description = self.description
        if self.context.stop_requested.is_set() and description[f"{self.title}JobStatus"] == "InProgress":
            # "When it receives a StopTrainingJob request, SageMaker changes the status of the job to Stopping."
            description = {**description, f"{self.title}JobStatus": "Stopping"}
            if "SecondaryStatus" in description:
                description["SecondaryStatus"] = "Stopping"
        self.context.publish(self.kind, description)

    def note(self, message: str) -> None:
        log_line(self.log, message)

    def finish(self, end_fields: Callable[[dt.datetime], dict] | None = None) -> dict:
        """The final Describe*Job response (published): status, end time, FailureReason, `end_fields(ended)`."""
        ended = now()
        self.description.update(
            {
                f"{self.title}JobStatus": self.status,
                f"{self.title}EndTime": ended,
                "LastModifiedTime": ended,
                **(end_fields(ended) if end_fields else {}),
            }
        )
        if self.reason:
            self.description["FailureReason"] = self.reason
        self.note(f"{self.kind} job {self.name}: {self.status}" + (f" ({self.reason})" if self.reason else ""))
        self.publish()
        return self.description


# --- what every job shares ---------------------------------------------------------------------------


def required(request: dict, key: str) -> Any:
    if not request.get(key):
        raise JobRequestError(f"{key} is required")
    return request[key]


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


def container_command(entrypoint: list[str] | None, arguments: list[str] | None, image_command: list[str]) -> list[str]:
    """The container's command: the request's ContainerEntrypoint (else the image's own command), then
    its ContainerArguments. The image's `python`/`python3` is this venv's interpreter."""
    command = list(entrypoint or image_command)
    if command and command[0] in ("python", "python3"):
        command[0] = sys.executable
    return [*command, *(arguments or [])]


def api_access(context: JobContext, network_isolation: bool) -> dict[str, str]:
    """What a job's container needs to call AWS. "If you enable network isolation, the containers can't
    make any outbound network calls, even to other AWS services" (CreateTrainingJob,
    EnableNetworkIsolation); without it a job calls AWS with its execution role's credentials (the SDK's
    `load_run()` inside a job does). Here: the local cloud's endpoint and its test credentials."""
    if network_isolation or not context.endpoint_url:
        return {}
    return {
        "AWS_ENDPOINT_URL": context.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": context.region,
        "AWS_REGION": context.region,
    }


def mlflow_access(request: dict) -> dict[str, str]:
    """A training job's MlflowConfig as the job sees it: MLflow's variables naming the App, experiment and
    run (the job's own Environment, set after these, wins), and the App's data plane, which is the local
    MLflow server: SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT, where the SageMaker MLflow plugin sends an App ARN's
    requests. Nothing under network isolation, where a job could not reach an App on AWS either."""
    config = request.get("MlflowConfig") or {}
    url = os.environ.get(MLFLOW_URL_ENV, "")
    if not config.get("MlflowResourceArn") or request.get("EnableNetworkIsolation"):
        return {}
    env = {tracking.TRACKING_URI_ENV: config["MlflowResourceArn"]}
    if config.get("MlflowExperimentName"):
        env[tracking.EXPERIMENT_NAME_ENV] = config["MlflowExperimentName"]
    if config.get("MlflowRunName"):
        env[tracking.RUN_NAME_ENV] = config["MlflowRunName"]
    if url:
        env[tracking.CUSTOM_ENDPOINT_ENV] = url
    return env


def log_line(log: Path, message: str) -> None:
    with log.open("a") as out:
        out.write(f"[local-cloud {dt.datetime.now(dt.UTC):%H:%M:%S}] {message}\n")


def read_failure(root: Path, fallback: str) -> str:
    """The job's /opt/ml/output/failure (first 1024 characters, as SageMaker's FailureReason), or `fallback`."""
    failure = contract.ContainerPaths(root).failure
    if failure.is_file() and failure.read_text().strip():
        return failure.read_text().strip()[:1024]
    return fallback


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
