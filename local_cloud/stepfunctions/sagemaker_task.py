"""The `arn:aws:states:::sagemaker:<action>.sync` task: a state machine's SageMaker job run to its end.

moto's interpreter knows SageMaker only as an unsupported service; `sagemaker_task_class(runtime)`
is the StateTaskService that runs the job with local_cloud/sagemaker and fails the task the way
Step Functions does (States.TaskFailed with the Describe*Job JSON as cause).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from local_cloud.sagemaker import moto_jobs
from local_cloud.sagemaker.job_run import JobContext, JobRequestError
from local_cloud.sagemaker.processing import run_processing_job
from local_cloud.sagemaker.training import run_training_job
from local_cloud.sagemaker.transform import run_transform_job

if TYPE_CHECKING:
    from local_cloud.runtime import LocalRuntime


class SageMakerJobFailed(Exception):
    """A .sync job ended Failed/Stopped: Step Functions reports States.TaskFailed with the Describe JSON."""

    def __init__(self, description: dict) -> None:
        super().__init__(description.get("FailureReason", "job failed"))
        self.description = description


class SageMakerApiError(Exception):
    """The Create* call itself was refused (SageMaker.AmazonSageMakerException in Step Functions)."""

    def __init__(self, message: str, error: str = "SageMaker.AmazonSageMakerException") -> None:
        super().__init__(message)
        self.error = error


def sagemaker_task_class(runtime: LocalRuntime) -> type:
    """The StateTaskService class for SageMaker tasks, running jobs in `runtime`."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    class LocalSageMakerTask(StateTaskService):
        # Map iterations share this object (moto reuses task instances): no per-job state on self.

        def _get_supported_parameters(self):
            return set()  # any request; the job runner validates what it needs

        def _get_sfn_resource(self) -> str:
            resource = self.resource.api_action
            return resource + (f".{self.resource.condition}" if self.resource.condition else "")

        def _eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            result = run_sagemaker_task(
                runtime,
                action=self.resource.api_action,
                sync=self.resource.condition == "sync",
                request=normalised_parameters,
                account=resource_runtime_part.account,
                region=resource_runtime_part.region,
            )
            env.stack.append(result)

        def _from_error(self, env, ex):
            if isinstance(ex, SageMakerJobFailed):
                error_name = StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed)
                error = StatesErrorNameType.StatesTaskFailed.to_name()
                cause = json.dumps(to_state_json(ex.description))
            elif isinstance(ex, SageMakerApiError):
                error_name, error, cause = CustomErrorName(ex.error), ex.error, str(ex)
            else:
                return super()._from_error(env=env, ex=ex)
            return FailureEvent(
                env=env,
                error_name=error_name,
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(
                    taskFailedEventDetails=TaskFailedEventDetails(
                        error=error,
                        cause=cause,
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                ),
            )

    return LocalSageMakerTask


def run_sagemaker_task(
    runtime: LocalRuntime, *, action: str, sync: bool, request: dict, account: str, region: str
) -> dict:
    """One SageMaker task of a state machine: a job run to its end (.sync), or a plain API call."""
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[account][region]
    if action == "createModel":
        return moto_jobs.create_model(backend, request)
    if action not in moto_jobs.JOB_KINDS:
        raise SageMakerApiError(f"sagemaker:{action} is not supported by the local cloud")
    if not sync:
        raise SageMakerApiError(f"sagemaker:{action} without .sync is not supported by the local cloud")
    kind, name_field, _ = moto_jobs.JOB_KINDS[action]
    name = request.get(name_field)
    jobs = moto_jobs.jobs_of_kind(backend, action)
    if not name:
        raise SageMakerApiError(f"{name_field} is required")
    if name in jobs:
        # CreateTrainingJob's ResourceInUse: "Training job names must be unique within an AWS account
        # and region, and a training job with this name already exists (arn:...)". Step Functions
        # reports it under the catch-all name (contract/errors.py), its cause carrying the message.
        raise SageMakerApiError(
            f"{kind.capitalize()} job names must be unique within an AWS account and region, and a {kind} job "
            f"with this name already exists ({jobs[name].arn}) (Service: AmazonSageMaker; Status Code: 400; "
            "Error Code: ResourceInUse)"
        )
    tracker = runtime.job_tracker(account, region)
    model = moto_jobs.model_description(backend, request.get("ModelName")) if kind == "transform" else None

    def publish(_kind: str, description: dict) -> None:
        jobs[name] = moto_jobs.JobRecord(kind, description)
        # A processing or transform job with ExperimentConfig: SageMaker's own trial component.
        tracker.published(kind, description, model)

    context = JobContext(
        account=account,
        region=region,
        run_dir=runtime.run_dir,
        s3=runtime.s3_client(region),
        partition=backend.partition,
        publish=publish,
        children=runtime.children,
    )
    try:
        description = _run_job(runtime, context, kind, request, backend, account, region)
    except JobRequestError as error:
        raise SageMakerApiError(str(error)) from error
    status = description[f"{kind.capitalize()}JobStatus"]
    if status != "Completed":
        # The server's log is the first place a user looks: say which job failed and where its log is.
        print(
            f"{kind} job {name} {status}: {description.get('FailureReason')}; log: {context.log_path(kind, name)}",
            flush=True,
        )
        raise SageMakerJobFailed(description)
    return to_state_json(description)


def _run_job(
    runtime: LocalRuntime, context: JobContext, kind: str, request: dict, backend: Any, account: str, region: str
) -> dict:
    model = None
    if kind == "transform":
        model_name = request.get("ModelName")
        model = moto_jobs.model_description(backend, model_name)
        if model is None:
            raise SageMakerApiError(f'Could not find model "{model_name}".')
    tracker = runtime.training_tracker(account, region) if kind == "training" else None
    if runtime.job_runner is not None:  # a stand-in the runtime was given (LocalRuntime's job_runner)
        return runtime.job_runner(context, kind, request, model=model, tracker=tracker)
    if kind == "processing":
        return run_processing_job(context, request)
    if kind == "training":
        return run_training_job(context, request, tracker)
    assert model is not None  # looked up above for a transform job
    return run_transform_job(context, request, model)


def to_state_json(description: dict) -> dict:
    """A Describe*Job response as Step Functions passes it on: timestamps in epoch milliseconds."""

    def convert(value):
        if isinstance(value, dt.datetime):
            return int(value.timestamp() * 1000)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return convert(description)
