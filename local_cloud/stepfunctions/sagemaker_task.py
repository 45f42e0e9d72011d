"""The `arn:aws:states:::sagemaker:<action>.sync` task: a state machine's SageMaker job run to its end.

moto's interpreter knows SageMaker only as an unsupported service; `sagemaker_task_class(runtime)`
is the StateTaskService that runs the job with local_cloud/sagemaker and fails the task the way
Step Functions does (States.TaskFailed with the Describe*Job JSON as cause).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from local_cloud.sagemaker import moto_jobs
from local_cloud.sagemaker.jobs_api import JobApiError
from local_cloud.stepfunctions.timestamps import to_state_json

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
                is_running=env.is_running,
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
    runtime: LocalRuntime,
    *,
    action: str,
    sync: bool,
    request: dict,
    account: str,
    region: str,
    is_running: Callable[[], bool] = lambda: True,
) -> dict:
    """One SageMaker task of a state machine: Create*Job then, for .sync, the wait for its end.

    The .sync integration creates the job and waits for it as the API reports it; should the
    execution stop meanwhile (StopExecution, a failed branch, a timeout), it stops the job
    (the IAM policy AWS documents for createTrainingJob.sync grants sagemaker:StopTrainingJob for
    that reason), and the task ends without a result.
    """
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
    if not name:
        raise SageMakerApiError(f"{name_field} is required")
    try:
        runtime.jobs.create(kind, request, account=account, region=region)
    except JobApiError as error:
        raise SageMakerApiError(error.message) from error
    while is_running():
        description = runtime.jobs.wait(kind, name, account=account, region=region, timeout_s=0.5)
        if description is None:
            continue
        if description[f"{kind.capitalize()}JobStatus"] != "Completed":
            raise SageMakerJobFailed(description)
        return to_state_json(description)
    with contextlib.suppress(JobApiError):  # it ended meanwhile
        runtime.jobs.stop(kind, name, account=account, region=region)
    return {}
