"""Every patch the local cloud makes to moto, in one place, pinned to moto's version.

The logic lives in modules that know nothing of moto (experiments.py: the Experiments API with the
real API's rules; the job runner; the Lambda runtime); this module only plugs them into moto's
internals. When moto changes under it, `check_moto_version` fails loudly before anything is patched.
"""

from __future__ import annotations

import functools
from importlib.metadata import version

MOTO_VERSION = "5.2.5"  # the exact pin in requirements-dev.txt; every patch below was written against it

_installed = False


class EmulatorVersionError(RuntimeError):
    """moto is not the version these patches were written against."""


def check_moto_version() -> None:
    found = version("moto")
    if found != MOTO_VERSION:
        raise EmulatorVersionError(
            f"the local cloud patches moto {MOTO_VERSION} internals but moto {found} is installed; "
            f"pin moto=={MOTO_VERSION} or review local_cloud/emulator.py against the new version"
        )


def install() -> None:
    """Apply every patch (idempotent). Call before moto starts serving or before `mock_aws()`."""
    global _installed
    if _installed:
        return
    check_moto_version()
    _install_experiments_api()
    _install_state_machines_from_cloudformation()
    _install_cloudformation_fixes()
    _install_execution_names()
    _install_sagemaker_jobs()
    _install_lambda_runtime()
    _installed = True


# --- Local cloud runtime: what the server process turns on (local_cloud/server.py) -------------
# The SageMaker-task and Lambda patches below change nothing until `enable_local_runtime` is called,
# so tests that use `install()` + `mock_aws()` keep moto's own behaviour for Lambda and SageMaker.

_runtime = None  # LocalRuntime once the local cloud's server enabled it


class LocalRuntime:
    """Where jobs and Lambdas run: the run folder, the server's endpoint and their child processes."""

    def __init__(self, *, run_dir, endpoint_url: str, region: str) -> None:
        from pathlib import Path

        from local_cloud.lambda_runtime import LambdaRuntime
        from local_cloud.sagemaker_jobs import ChildProcesses

        self.run_dir = Path(run_dir)
        self.endpoint_url = endpoint_url
        self.children = ChildProcesses()
        self.lambdas = LambdaRuntime(
            run_dir=self.run_dir, endpoint_url=endpoint_url, region=region, children=self.children
        )

    def s3_client(self, region: str):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            region_name=region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"mode": "adaptive", "max_attempts": 5}),
        )


def enable_local_runtime(*, run_dir, endpoint_url: str, region: str = "us-east-1") -> LocalRuntime:
    """Server mode: state machines execute, SageMaker tasks run jobs, Lambdas run their code."""
    from moto.core.config import default_user_config

    global _runtime
    install()
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    _runtime = LocalRuntime(run_dir=run_dir, endpoint_url=endpoint_url, region=region)
    return _runtime


def local_runtime() -> LocalRuntime | None:
    return _runtime


# --- CloudFormation-created state machines go to the executing backend ------------------------------


def _install_state_machines_from_cloudformation() -> None:
    """moto's StateMachine CFN handlers write to the plain backend; executions then never run.

    Route them to whichever backend the Step Functions API serves (the executing one when
    execute_state_machine is on), keeping moto's own logic otherwise.
    """
    from moto.stepfunctions import models, responses

    original_create = models.StateMachine.create_from_cloudformation_json.__func__
    original_delete = models.StateMachine.delete_from_cloudformation_json.__func__
    original_update = models.StateMachine.update_from_cloudformation_json.__func__

    def with_serving_backend(original):
        @functools.wraps(original)  # keeps moto's source reachable for the guard test
        def patched(cls, *args, **kwargs):
            # The originals read the module-level `stepfunctions_backends`; point it at the serving one
            # for the call (stack operations run one at a time; both answer the same backend when
            # execute_state_machine is on, so a concurrent reader sees no difference).
            serving = _ServingBackends(responses.get_backend)
            saved, models.stepfunctions_backends = models.stepfunctions_backends, serving
            try:
                return original(cls, *args, **kwargs)
            finally:
                models.stepfunctions_backends = saved

        return classmethod(patched)

    models.StateMachine.create_from_cloudformation_json = with_serving_backend(original_create)
    models.StateMachine.delete_from_cloudformation_json = with_serving_backend(original_delete)
    models.StateMachine.update_from_cloudformation_json = with_serving_backend(original_update)


class _ServingBackends:
    """`backends[account][region]` answered by the Step Functions API's own backend choice."""

    def __init__(self, get_backend) -> None:
        self._get_backend = get_backend

    def __getitem__(self, account: str):
        get_backend = self._get_backend

        class _Regions:
            def __getitem__(self, region: str):
                return get_backend(account, region)

        return _Regions()


# --- CloudFormation resource handlers that moto 5.2.5 gets wrong for the project's templates --------


def _install_cloudformation_fixes() -> None:
    from moto.kms import models as kms_models

    original_key_create = kms_models.Key.create_from_cloudformation_json.__func__

    def create_key(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        # moto hands CloudFormation's {"Key", "Value"} tags to a tagger that wants TagKey/TagValue
        # (KeyError: 'TagKey'), and the key is silently missing from the stack.
        properties = cloudformation_json.get("Properties", {})
        if properties.get("Tags"):
            properties = {
                **properties,
                "Tags": [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties["Tags"]],
            }
            cloudformation_json = {**cloudformation_json, "Properties": properties}
        return original_key_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    kms_models.Key.create_from_cloudformation_json = classmethod(create_key)


# --- StartExecution without a name gets one, as in AWS ---------------------------------------------


def _install_execution_names() -> None:
    """moto's executing backend leaves the name None ($$.Execution.Name is null, the ARN ends in
    ':None'); AWS generates a UUID."""
    import uuid

    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original_start = StepFunctionsParserBackend.start_execution

    def start_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        return original_start(
            self,
            state_machine_arn,
            name=name or str(uuid.uuid4()),
            execution_input=execution_input,
            trace_header=trace_header,
        )

    StepFunctionsParserBackend.start_execution = start_execution


# --- SageMaker .sync tasks run the jobs (local_cloud/sagemaker_jobs.py) -------------------------


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


def _install_sagemaker_jobs() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory

    original = state_task_factory.state_task_service_for

    def state_task_service_for(service_name: str):
        if service_name == "sagemaker" and _runtime is not None:
            return _sagemaker_task_class()()
        return original(service_name=service_name)

    state_task_factory.state_task_service_for = state_task_service_for


_SAGEMAKER_TASK_CLASS = None


def _sagemaker_task_class():
    """The Step Functions task for `arn:aws:states:::sagemaker:<action>[.sync]` (built once)."""
    global _SAGEMAKER_TASK_CLASS
    if _SAGEMAKER_TASK_CLASS is not None:
        return _SAGEMAKER_TASK_CLASS
    import json

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
                cause = json.dumps(_to_state_json(ex.description))
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

    _SAGEMAKER_TASK_CLASS = LocalSageMakerTask
    return LocalSageMakerTask


_JOB_KINDS = {  # action -> (kind, name field, moto backend attribute)
    "createProcessingJob": ("processing", "ProcessingJobName", "processing_jobs"),
    "createTrainingJob": ("training", "TrainingJobName", "training_jobs"),
    "createTransformJob": ("transform", "TransformJobName", "transform_jobs"),
}


def run_sagemaker_task(*, action: str, sync: bool, request: dict, account: str, region: str) -> dict:
    """One SageMaker task of a state machine: a job run to its end (.sync), or a plain API call."""
    from moto.sagemaker.models import sagemaker_backends

    from local_cloud import sagemaker_jobs

    backend = sagemaker_backends[account][region]
    if action == "createModel":
        return _create_model(backend, request)
    if action not in _JOB_KINDS:
        raise SageMakerApiError(f"sagemaker:{action} is not supported by the local cloud")
    if not sync:
        raise SageMakerApiError(f"sagemaker:{action} without .sync is not supported by the local cloud")
    kind, name_field, jobs_attribute = _JOB_KINDS[action]
    name = request.get(name_field)
    jobs = getattr(backend, jobs_attribute)
    if not name:
        raise SageMakerApiError(f"{name_field} is required")
    if name in jobs:
        raise SageMakerApiError("Job name must be unique within an AWS Region in an AWS account.")

    def publish(_kind: str, description: dict) -> None:
        jobs[name] = _JobRecord(kind, description)

    context = sagemaker_jobs.JobContext(
        account=account,
        region=region,
        run_dir=_runtime.run_dir,
        s3=_runtime.s3_client(region),
        partition=backend.partition,
        publish=publish,
        children=_runtime.children,
    )
    try:
        if kind == "processing":
            description = sagemaker_jobs.run_processing_job(context, request)
        elif kind == "training":
            description = sagemaker_jobs.run_training_job(context, request, _training_tracker(account, region))
        else:
            model_name = request.get("ModelName")
            if model_name not in backend._models:
                raise SageMakerApiError(f'Could not find model "{model_name}".')
            description = sagemaker_jobs.run_transform_job(
                context, request, backend._models[model_name].response_object
            )
    except sagemaker_jobs.JobRequestError as error:
        raise SageMakerApiError(str(error)) from error
    status = description[f"{kind.capitalize()}JobStatus"]
    if status != "Completed":
        # The server's log is the first place a user looks: say which job failed and where its log is.
        print(
            f"{kind} job {name} {status}: {description.get('FailureReason')}; log: {context.log_path(kind, name)}",
            flush=True,
        )
        raise SageMakerJobFailed(description)
    return _to_state_json(description)


def _create_model(backend, request: dict) -> dict:
    container = request.get("PrimaryContainer") or {}
    model = backend.create_model(
        model_name=request.get("ModelName"),
        execution_role_arn=request.get("ExecutionRoleArn"),
        primary_container=container,
        vpc_config=request.get("VpcConfig"),
        containers=request.get("Containers"),
        tags=request.get("Tags"),
    )
    return {"ModelArn": model.arn}


class _JobRecord:
    """Stands in moto's job dicts for a job the local cloud runs: Describe*/List* see its real state."""

    def __init__(self, kind: str, description: dict) -> None:
        self.kind = kind
        self.description = dict(description)
        name_key = f"{kind.capitalize()}JobName"
        self.arn = description[f"{kind.capitalize()}JobArn"]
        setattr(self, f"{kind}_job_name", description[name_key])
        setattr(self, f"{kind}_job_status", description[f"{kind.capitalize()}JobStatus"])
        self.creation_time = description["CreationTime"]
        self.last_modified_time = description["LastModifiedTime"]
        setattr(self, f"{kind}_end_time", description.get(f"{kind.capitalize()}EndTime"))
        self.failure_reason = description.get("FailureReason")
        self.tags = description.get("Tags") or []

    @property
    def response_object(self) -> dict:
        return dict(self.description)

    @property
    def response_create(self) -> dict:
        return {f"{self.kind.capitalize()}JobArn": self.arn}


def _to_state_json(description: dict) -> dict:
    """A Describe*Job response as Step Functions passes it on: timestamps in epoch milliseconds."""
    import datetime as dt

    def convert(value):
        if isinstance(value, dt.datetime):
            return int(value.timestamp() * 1000)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return convert(description)


def _training_tracker(account: str, region: str):
    """Records a training job with ExperimentConfig as SageMaker does: `<job>-aws-training-job`."""
    from local_cloud.training_components import TrainingComponentTracker

    return TrainingComponentTracker(_experiments_recorder(account, region))


def _experiments_recorder(account: str, region: str):
    """The Experiments backend that the SageMaker API of this cloud serves (local_cloud/experiments.py)."""
    from local_cloud import experiments

    return experiments.backend_for(account, region)


# --- Lambda invocations run the deployed package (local_cloud/lambda_runtime.py) -----------------


def _install_lambda_runtime() -> None:
    from moto.awslambda import models

    original_invoke = models.LambdaFunction.invoke

    def invoke(self, body, request_headers, response_headers):
        if _runtime is None:
            return original_invoke(self, body, request_headers, response_headers)
        from local_cloud.lambda_runtime import FunctionPackage

        package = FunctionPackage(
            name=self.function_name,
            arn=self.function_arn,
            handler=self.handler,
            code_zip=self.code_bytes,
            environment=dict(self.environment_vars or {}),
            timeout_s=int(self.timeout or 3),
            memory_mb=int(self.memory_size or 128),
        )
        if isinstance(body, str):
            body = body.encode()
        headers = {k.lower(): v for k, v in dict(request_headers or {}).items()}
        if headers.get("x-amz-invocation-type") == "Event":
            # Asynchronous invocation: Lambda answers 202 at once and runs the function on its own.
            import threading

            threading.Thread(target=_runtime.lambdas.invoke, args=(package, body or b"{}"), daemon=True).start()
            return b""
        result = _runtime.lambdas.invoke(package, body or b"{}")
        if result.errored:
            print(
                f"Lambda {self.function_name} failed: {result.payload[:200].decode(errors='replace')}; "
                f"log: {result.log_path}",
                flush=True,
            )
            response_headers["x-amz-function-error"] = "Unhandled"
        response_headers["x-amz-executed-version"] = "$LATEST"
        return result.payload

    models.LambdaFunction.invoke = invoke


# --- SageMaker Experiments: moto's records replaced by local_cloud/experiments.py ---------------

# The SageMaker actions answered by the enforcing backend instead of moto's models.
EXPERIMENT_ACTIONS = (
    "CreateExperiment",
    "DescribeExperiment",
    "UpdateExperiment",
    "DeleteExperiment",
    "ListExperiments",
    "CreateTrial",
    "DescribeTrial",
    "UpdateTrial",
    "DeleteTrial",
    "ListTrials",
    "CreateTrialComponent",
    "DescribeTrialComponent",
    "UpdateTrialComponent",
    "DeleteTrialComponent",
    "ListTrialComponents",
    "AssociateTrialComponent",
    "DisassociateTrialComponent",
)
# Shared with moto's other SageMaker resources: answered by the backend only for experiment records.
EXPERIMENT_SHARED_ACTIONS = {
    "AddTags": "ResourceArn",
    "ListTags": "ResourceArn",
    "DeleteTags": "ResourceArn",
    "Search": "Resource",
}
EXPERIMENT_SEARCH_RESOURCES = ("Experiment", "ExperimentTrial", "ExperimentTrialComponent")


def _install_experiments_api() -> None:
    """Route moto's SageMaker experiment actions (in-process `mock_aws()` and moto server alike, both
    dispatch through SageMakerResponse) to local_cloud/experiments.py, one backend per account
    and region, reset whenever moto resets its backends."""
    import json

    from moto.core.base_backend import BackendDict
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult
    from moto.core.utils import camelcase_to_underscores
    from moto.sagemaker.responses import SageMakerResponse

    from local_cloud import experiments

    def request_of(response: SageMakerResponse) -> dict:
        body = response.body
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        return json.loads(body) if body else {}

    def answer(response: SageMakerResponse, action: str, request: dict) -> ActionResult:
        backend = experiments.backend_for(response.current_account, response.region)
        try:
            return ActionResult(backend.call(action, request))
        except experiments.ExperimentsApiError as error:
            # A JSON error body {"__type": code, "message": ...} with HTTP 400, as AWS answers.
            raise JsonRESTError(error.code, error.message) from None

    def experiment_action(action: str):
        def handle(self: SageMakerResponse) -> ActionResult:
            return answer(self, action, request_of(self))

        handle.__name__ = camelcase_to_underscores(action)
        return handle

    def shared_action(action: str, key: str, moto_method):
        def handle(self: SageMakerResponse):
            request = request_of(self)
            backend = experiments.backend_for(self.current_account, self.region)
            value = request.get(key) or ""
            ours = value in EXPERIMENT_SEARCH_RESOURCES if action == "Search" else backend.owns_arn(value)
            return answer(self, action, request) if ours else moto_method(self)

        handle.__name__ = camelcase_to_underscores(action)
        return handle

    for action in EXPERIMENT_ACTIONS:
        setattr(SageMakerResponse, camelcase_to_underscores(action), experiment_action(action))
    for action, key in EXPERIMENT_SHARED_ACTIONS.items():
        method_name = camelcase_to_underscores(action)
        setattr(SageMakerResponse, method_name, shared_action(action, key, getattr(SageMakerResponse, method_name)))

    moto_reset = BackendDict.reset.__func__

    def reset(cls) -> None:
        moto_reset(cls)
        experiments.reset_backends()

    BackendDict.reset = classmethod(reset)
