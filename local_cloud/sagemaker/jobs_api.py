"""`LocalJobs`: Create*Job starts the job whoever calls it (API, SDK, a state machine), Stop*Job stops it.

Create*Job validates the request, stores the job InProgress in moto's SageMaker backend (so
Describe*Job/List*Jobs answer it at once) and runs it on a thread of its own; Describe*Job then
reports its real progress. Stop*Job sets the job's stop request: its runner ends the process with
SIGTERM and the job ends Stopped.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING, Any

from local_cloud.sagemaker import moto_jobs
from local_cloud.sagemaker.job_run import JobContext, JobRequestError, now, required
from local_cloud.sagemaker.processing import run_processing_job
from local_cloud.sagemaker.training import checked_request as checked_training_request
from local_cloud.sagemaker.training import run_training_job
from local_cloud.sagemaker.transform import run_transform_job

if TYPE_CHECKING:
    from local_cloud.runtime import LocalRuntime

TERMINAL = ("Completed", "Failed", "Stopped")
KINDS = {kind: (action, name_field) for action, (kind, name_field, _) in moto_jobs.JOB_KINDS.items()}


class JobApiError(Exception):
    """The request is refused as SageMaker refuses it: `code` is the error's __type."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class LocalJobs:
    """The runtime's jobs: started by `create`, stopped by `stop`, awaited by `wait`."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self._lock = threading.Lock()
        self._contexts: dict[tuple[str, str, str, str], JobContext] = {}
        self._ended: dict[tuple[str, str, str, str], threading.Event] = {}
        self.entrypoint: list[str] | None = None  # the jobs image's entrypoint; tests set a stand-in image

    def create(self, kind: str, request: dict, *, account: str, region: str) -> dict:
        """Create<Kind>Job: {"<Kind>JobArn": ...}; the job runs on."""
        from moto.sagemaker.models import sagemaker_backends

        backend = sagemaker_backends[account][region]
        action, name_field = KINDS[kind]
        try:
            _validate(kind, request)
        except JobRequestError as error:
            raise JobApiError("ValidationException", str(error)) from None
        name: str = request[name_field]
        model = None
        if kind == "transform":
            model = moto_jobs.model_description(backend, request.get("ModelName"))
            if model is None:
                raise JobApiError("ValidationException", f'Could not find model "{request.get("ModelName")}".')
        jobs = moto_jobs.jobs_of_kind(backend, action)
        key = (account, region, kind, name)
        with self._lock:
            if name in jobs:
                # CreateTrainingJob's ResourceInUse: "Training job names must be unique within an AWS
                # account and region, and a training job with this name already exists (arn:...)".
                # Step Functions reports it under its catch-all name (contract/errors.py) with this
                # message in the cause, which the training state machine matches to adopt the job.
                raise JobApiError(
                    "ResourceInUse",
                    f"{kind.capitalize()} job names must be unique within an AWS account and region, and a "
                    f"{kind} job with this name already exists ({jobs[name].arn})",
                )
            created = now()
            context = self._context(kind, name, jobs, account, region, backend.partition, created, model)
            title = kind.capitalize()
            jobs[name] = moto_jobs.JobRecord(
                kind,
                {
                    **request,
                    f"{title}JobArn": context.arn(f"{kind}-job", name),
                    f"{title}JobStatus": "InProgress",
                    **({"SecondaryStatus": "Starting"} if kind == "training" else {}),
                    "CreationTime": created,
                    "LastModifiedTime": created,
                },
            )
            self._contexts[key] = context
            self._ended[key] = threading.Event()
        thread = threading.Thread(
            target=self._run, args=(key, context, request, model), name=f"{kind}-job-{name}", daemon=True
        )
        thread.start()
        return {f"{kind.capitalize()}JobArn": jobs[name].arn}

    def stop(self, kind: str, name: str, *, account: str, region: str) -> None:
        """Stop<Kind>Job: the job goes Stopping, its process gets SIGTERM, then it is Stopped."""
        from moto.sagemaker.models import sagemaker_backends

        jobs = moto_jobs.jobs_of_kind(sagemaker_backends[account][region], KINDS[kind][0])
        record = jobs.get(name)
        if record is None:
            # StopTrainingJob errors: "ResourceNotFound - Resource being access is not found."
            raise JobApiError("ResourceNotFound", f"Could not find {kind} job '{name}'.")
        context = self._contexts.get((account, region, kind, name))
        status = getattr(record, f"{kind}_job_status")
        if context is None or status in TERMINAL:
            raise JobApiError(
                "ValidationException", f"The request was rejected because the {kind} job is in status {status}."
            )
        context.stop_requested.set()
        record.description[f"{kind.capitalize()}JobStatus"] = "Stopping"
        setattr(record, f"{kind}_job_status", "Stopping")
        if kind == "training":
            record.description["SecondaryStatus"] = "Stopping"

    def wait(self, kind: str, name: str, *, account: str, region: str, timeout_s: float) -> dict | None:
        """The job's final Describe*Job response once it has ended; None while it runs (after `timeout_s`)."""
        from moto.sagemaker.models import sagemaker_backends

        ended = self._ended.get((account, region, kind, name))
        if ended is None or not ended.wait(timeout_s):
            return None
        record = moto_jobs.jobs_of_kind(sagemaker_backends[account][region], KINDS[kind][0])[name]
        return record.response_object

    def _context(
        self,
        kind: str,
        name: str,
        jobs: dict,
        account: str,
        region: str,
        partition: str,
        created: dt.datetime,
        model: dict | None,
    ) -> JobContext:
        tracker = self.runtime.job_tracker(account, region)

        def publish(_kind: str, description: dict) -> None:
            jobs[name] = moto_jobs.JobRecord(kind, description)
            # A processing or transform job with ExperimentConfig: SageMaker's own trial component.
            tracker.published(kind, description, model)

        context = JobContext(
            account=account,
            region=region,
            run_dir=self.runtime.run_dir,
            s3=self.runtime.s3_client(region),
            partition=partition,
            publish=publish,
            children=self.runtime.children,
            created=created,
            spot_market=self.runtime.spot_market,
            endpoint_url=self.runtime.endpoint_url,
        )
        if self.entrypoint:
            context.entrypoint = list(self.entrypoint)
        return context

    def _run(self, key: tuple[str, str, str, str], context: JobContext, request: dict, model: dict | None) -> None:
        account, region, kind, name = key
        try:
            description = self._run_job(context, kind, request, model, account, region)
            status = description[f"{kind.capitalize()}JobStatus"]
            if status != "Completed":
                # The server's log is the first place a user looks: which job failed and where its log is.
                print(
                    f"{kind} job {name} {status}: {description.get('FailureReason')}; "
                    f"log: {context.log_path(kind, name)}",
                    flush=True,
                )
        except Exception as error:  # noqa: BLE001 - a job never stays InProgress because the emulator broke
            title = kind.capitalize()
            failed = {
                **request,
                f"{title}JobArn": context.arn(f"{kind}-job", name),
                f"{title}JobStatus": "Failed",
                "FailureReason": f"InternalServerError: {type(error).__name__}: {error}",
                "CreationTime": context.created or now(),
                "LastModifiedTime": now(),
            }
            context.publish(kind, failed)
            print(f"{kind} job {name} Failed: {failed['FailureReason']}", flush=True)
        finally:
            self._ended[key].set()

    def _run_job(
        self, context: JobContext, kind: str, request: dict, model: dict | None, account: str, region: str
    ) -> dict:
        runtime = self.runtime
        tracker = runtime.training_tracker(account, region) if kind == "training" else None
        if runtime.job_runner is not None:  # a stand-in the runtime was given (LocalRuntime's job_runner)
            return runtime.job_runner(context, kind, request, model=model, tracker=tracker)
        if kind == "processing":
            return run_processing_job(context, request)
        if kind == "training":
            return run_training_job(context, request, tracker)
        assert model is not None  # looked up at create for a transform job
        return run_transform_job(context, request, model)


def _validate(kind: str, request: dict) -> None:
    """What Create*Job refuses before anything runs (JobRequestError naming the field)."""
    if kind == "training":
        checked_training_request(request)
    elif kind == "processing":
        required(request, "ProcessingJobName")
        required(request, "AppSpecification")
    else:
        for field in ("TransformJobName", "ModelName", "TransformInput", "TransformOutput"):
            required(request, field)


def describe(account: str, region: str, kind: str, name: str) -> dict[str, Any] | None:
    """The job's current Describe*Job response from moto's backend; None when there is no such job."""
    from moto.sagemaker.models import sagemaker_backends

    record = moto_jobs.jobs_of_kind(sagemaker_backends[account][region], KINDS[kind][0]).get(name)
    return None if record is None else record.response_object
