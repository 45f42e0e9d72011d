"""Every place the local cloud plugs into moto, listed in `PLUG_POINTS` and installed here, pinned to moto's version.

The emulated services (local_cloud/experiments, sagemaker, stepfunctions, awslambda, kms.py) are
written as moto's own are: response classes, CloudFormation resource types, backends in a
`BackendDict`. This module joins them to moto: it *registers* them where moto looks such things up
(a service's `urls.url_paths`, the `CloudFormationModel` subclasses), and *rebinds* a moto name
only where moto has no place to register (in server mode, and in tests that pass `use_runtime`
a `LocalRuntime` with stand-ins for the Lambda and job processes, as tests/cli does). When moto changes under
it, `check_moto_version` fails loudly before anything is installed, and
tests/local_cloud/test_emulator_guard.py checks every moto internal each plug point relies on.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from local_cloud.runtime import LocalRuntime

MOTO_VERSION = "5.2.5"  # the exact pin in requirements-dev.txt; every plug point below was written against it


@dataclass(frozen=True)
class PlugPoint:
    name: str
    how: str  # "register" (moto looks it up there), "rebind" (no such place), "data" (moto's state, by its shape)
    moto_target: str
    ours: str
    why: str


PLUG_POINTS = (
    PlugPoint(
        "experiments-api",
        "register",
        "moto.sagemaker.urls.url_paths['{0}/$']",
        "local_cloud.experiments.responses.ExperimentsResponse",
        "moto enforces none of the Experiments API's rules (a trial with components deletable, one trial "
        "per component); a SageMakerResponse subclass answers those actions, moto the rest",
    ),
    PlugPoint(
        "sagemaker-jobs-api",
        "register",
        "moto.sagemaker.urls.url_paths['{0}/$'] (the experiments-api class, subclassed)",
        "local_cloud.sagemaker.responses.SageMakerJobsResponse",
        "moto's Create*Job stores a job Completed at once and runs nothing, and it has no StopTrainingJob or "
        "StopTransformJob: with a runtime in use, Create*Job and Stop*Job run and stop the job (LocalJobs)",
    ),
    PlugPoint(
        "metrics-api",
        "register",
        "moto.sagemakermetrics.urls.url_paths['{0}/$', '{0}/BatchPutMetrics$']",
        "local_cloud.experiments.metrics_responses.MetricsResponse",
        "moto's BatchPutMetrics looks for the component in moto's SageMaker records, where the local cloud "
        "keeps none: every put was a VALIDATION_ERROR; ours stores the values on the Experiments backend's component",
    ),
    PlugPoint(
        "experiments-state",
        "register",
        "moto.core.base_backend.BackendDict",
        "local_cloud.experiments.registry",
        "one backend per account and region in a BackendDict of its own, so moto's reset (every mock_aws() "
        "start) clears it like moto's own state; nothing of moto's is changed",
    ),
    PlugPoint(
        "execution-names",
        "register",
        "moto.stepfunctions.urls.url_paths['{0}/$']",
        "local_cloud.stepfunctions.executions.LocalExecutionsResponse",
        "StartExecution without a name gets a UUID in AWS; moto's executing backend leaves it None",
    ),
    PlugPoint(
        "service-quotas",
        "register",
        "moto.servicequotas.urls.url_paths['{0}/$']",
        "local_cloud.servicequotas.responses.LocalServiceQuotasResponse",
        "moto serves quotas for vpc only and has no ListServiceQuotas; `ops start`'s preflight reads the "
        "SageMaker instance quotas by name, with values an operator sets in LOCAL_CLOUD_QUOTAS",
    ),
    PlugPoint(
        "lambda-account-settings",
        "register",
        "moto.awslambda.urls.url_paths['{0}/(?P<api_version>[^/]+)/account-settings/?$']",
        "local_cloud.awslambda.account_settings.AccountSettingsResponse",
        "moto has no GetAccountSettings; infra.quota_check and the preflight read the concurrency quota "
        "and what reservations leave unreserved from it",
    ),
    PlugPoint(
        "state-machines-from-cloudformation",
        "register",
        "moto.cloudformation.parsing.get_model_map() (CloudFormationModel subclasses)",
        "local_cloud.stepfunctions.cloudformation.ExecutingStateMachine",
        "moto's StateMachine resource writes to the plain backend, so executions of a deployed state "
        "machine never run; ours writes to the backend the Step Functions API serves",
    ),
    PlugPoint(
        "kms-keys-from-cloudformation",
        "register",
        "moto.cloudformation.parsing.get_model_map() (CloudFormationModel subclasses)",
        "local_cloud.kms.TaggedKey",
        "moto 5.2.5 drops an AWS::KMS::Key with Tags from the stack (KeyError: 'TagKey')",
    ),
    PlugPoint(
        "mlflow-apps-from-cloudformation",
        "register",
        "moto.cloudformation.parsing.get_model_map() (CloudFormationModel subclasses)",
        "local_cloud.mlflow.apps.LocalMlflowApp",
        "moto 5.2.5 has no AWS::SageMaker::MlflowApp: it skips the resource and its Fn::GetAtt Arn fails; "
        "ours keeps the App, whose data plane is the local MLflow server",
    ),
    PlugPoint(
        "sagemaker-sync-tasks",
        "rebind",
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_factory.state_task_service_for",
        "local_cloud.stepfunctions.sagemaker_task.sagemaker_task_class, "
        "local_cloud.stepfunctions.aws_sdk_task.aws_sdk_task_class",
        "moto's interpreter has SageMaker as an unsupported service, and its aws-sdk task leaves boto3's "
        "datetimes in the state (States.JsonToString then fails); its factory is an if-chain with "
        "no registry; the name state_task_factory imported is the one place to put our tasks (use_runtime: "
        "server mode, or a test's runtime whose job_runner finishes jobs at once)",
    ),
    PlugPoint(
        "distributed-map-results",
        "rebind",
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.result_writer_decl.resource_eval_for",
        "local_cloud.stepfunctions.result_writer.resource_eval_for",
        "moto's ResultWriter writes only manifest.json and drops the children's outputs; ours writes them to "
        "SUCCEEDED_0.json and lists it in the manifest, as Step Functions does; the factory is an if-chain "
        "the ResultWriter imported by name (use_runtime, as the task factory)",
    ),
    PlugPoint(
        "distributed-map-result-paths",
        "rebind",
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.result_writer_decl.ResultWriter._eval_body",
        "local_cloud.stepfunctions.result_writer.result_writer_eval_body",
        "moto reads a ResultWriter's Bucket.$/Prefix.$ from the children's outputs; ours reads them from the "
        "Map state's input, as Step Functions does, so that each run writes under its own results/ prefix",
    ),
    PlugPoint(
        "distributed-map-child-executions",
        "rebind",
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor."
        "distributed_item_processor_worker.DistributedItemProcessorWorker._eval_job",
        "local_cloud.stepfunctions.map_run_children.eval_job",
        "moto runs a Distributed Map's items in the parent's execution, every child's events sent to one "
        "throwaway EventManager, no record kept; ours runs each as a child execution with its own history "
        "and outcome, which DescribeExecution, GetExecutionHistory, ListExecutions(mapRunArn) and the "
        "ResultWriter (SUCCEEDED and FAILED files) read",
    ),
    PlugPoint(
        "distributed-map-failure-threshold",
        "rebind",
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration."
        "distributed_iteration_component.DistributedIterationComponent._map_run",
        "local_cloud.stepfunctions.map_run_children.map_run",
        "moto parses ToleratedFailureCount/Percentage and ignores them; ours fails the Map Run with "
        "States.ExceedToleratedFailureThreshold when more children failed than they tolerate",
    ),
    PlugPoint(
        "lambda-invoke",
        "rebind",
        "moto.awslambda.models.LambdaFunction.invoke",
        "local_cloud.awslambda.invoke.invoke",
        "moto runs Lambdas in Docker; the backend constructs LambdaFunction itself, so there is no class "
        "to register; invoke runs the deployed package as a process instead (use_runtime: server mode, or a "
        "test's runtime whose lambdas run the handlers in-process)",
    ),
    PlugPoint(
        "sagemaker-job-records",
        "data",
        "moto SageMakerModelBackend.{processing,training,transform}_jobs, describe_model()",
        "local_cloud.sagemaker.moto_jobs.JobRecord",
        "Describe*Job/List*Jobs are moto's; a job the local cloud runs is stored in moto's dict as an "
        "object with the attributes moto reads, and a transform reads its model through describe_model",
    ),
)

_installed = False
# moto's originals of the rebound names, by (owner, attribute), kept to rebind idempotently.
_rebound: dict[tuple[Any, str], Any] = {}


def _rebind(owner: Any, name: str, ours: Any) -> Any:
    """`owner.name = ours`, keeping moto's original the first time; returns moto's original."""
    original = _rebound.setdefault((owner, name), getattr(owner, name))
    setattr(owner, name, ours)
    return original


class EmulatorVersionError(RuntimeError):
    """moto is not the version these plug points were written against."""


def check_moto_version() -> None:
    found = version("moto")
    if found != MOTO_VERSION:
        raise EmulatorVersionError(
            f"the local cloud plugs into moto {MOTO_VERSION} internals but moto {found} is installed; "
            f"pin moto=={MOTO_VERSION} or review local_cloud/plug.py against the new version"
        )


def install() -> None:
    """Register every plug point of kind "register" (idempotent). Call before moto serves or `mock_aws()`.

    Lambda and SageMaker tasks keep moto's own behaviour until `enable_local_runtime`/`use_runtime`, so tests that
    use `install()` + `mock_aws()` see moto plus the Experiments API, CloudFormation fixes and
    execution names.
    """
    global _installed
    if _installed:
        return
    check_moto_version()
    from moto.awslambda import urls as lambda_urls
    from moto.cloudformation import parsing
    from moto.sagemaker import urls as sagemaker_urls
    from moto.sagemakermetrics import urls as metrics_urls
    from moto.servicequotas import urls as servicequotas_urls
    from moto.stepfunctions import urls as stepfunctions_urls

    from local_cloud.awslambda import account_settings
    from local_cloud.experiments.metrics_responses import MetricsResponse
    from local_cloud.kms import TaggedKey  # noqa: F401 - defining the class registers it (below)
    from local_cloud.mlflow.apps import LocalMlflowApp  # noqa: F401 - likewise
    from local_cloud.sagemaker.responses import SageMakerJobsResponse
    from local_cloud.servicequotas.responses import LocalServiceQuotasResponse
    from local_cloud.stepfunctions.cloudformation import ExecutingStateMachine  # noqa: F401 - likewise
    from local_cloud.stepfunctions.executions import LocalExecutionsResponse

    # A service's handler is looked up in its urls.url_paths for every request (mock_aws) and when
    # the server builds the service's app: a subclass registered there serves every action.
    # SageMakerJobsResponse is the ExperimentsResponse with the job actions: one class for both.
    sagemaker_urls.url_paths["{0}/$"] = SageMakerJobsResponse.dispatch
    for path in ("{0}/$", "{0}/BatchPutMetrics$"):
        metrics_urls.url_paths[path] = MetricsResponse.dispatch
    stepfunctions_urls.url_paths["{0}/$"] = LocalExecutionsResponse.dispatch
    servicequotas_urls.url_paths["{0}/$"] = LocalServiceQuotasResponse.dispatch
    lambda_urls.url_paths[account_settings.URL_PATH] = account_settings.AccountSettingsResponse.dispatch
    # moto's CloudFormation maps a resource type to the last CloudFormationModel subclass declaring
    # it; defining ours (on import above) registers them, the caches are rebuilt to see them.
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    _installed = True


def enable_local_runtime(*, run_dir: Path | str, endpoint_url: str, region: str = "us-east-1") -> LocalRuntime:
    """Server mode: state machines execute, SageMaker tasks run jobs, Lambdas run their code, in one runtime
    (spot interruptions planned by LOCAL_CLOUD_SPOT_INTERRUPTIONS, local_cloud/sagemaker/spot.py)."""
    from local_cloud.sagemaker.spot import SpotMarket

    return use_runtime(
        LocalRuntime(run_dir=run_dir, endpoint_url=endpoint_url, region=region, spot_market=SpotMarket.from_env())
    )


def use_runtime(runtime: LocalRuntime) -> LocalRuntime:
    """The "rebind" plug points: SageMaker tasks run `runtime`'s jobs (its `job_runner`, else
    processes), Lambda invokes run its `lambdas`, a Distributed Map's items run as child executions
    under its failure threshold, and its ResultWriter writes their results. Rebinding again replaces
    the runtime; `restore_moto` puts moto's own names back."""
    from moto.awslambda.models import LambdaFunction
    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (
        DistributedIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (  # noqa: E501
        DistributedItemProcessorWorker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer import result_writer_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory

    from local_cloud.awslambda.invoke import invoke
    from local_cloud.sagemaker.responses import SageMakerJobsResponse
    from local_cloud.stepfunctions import map_run_children, result_writer
    from local_cloud.stepfunctions.aws_sdk_task import aws_sdk_task_class
    from local_cloud.stepfunctions.sagemaker_task import sagemaker_task_class

    install()
    SageMakerJobsResponse.jobs = runtime.jobs
    default_user_config["stepfunctions"] = {"execute_state_machine": True}

    task_class = sagemaker_task_class(runtime)
    sdk_task_class = aws_sdk_task_class()

    def state_task_service_for(service_name: str):
        if service_name == "sagemaker":
            return task_class()
        if service_name == "aws-sdk":
            return sdk_task_class()
        return original_factory(service_name=service_name)

    def invoke_function(self, body, request_headers, response_headers):
        return invoke(runtime, self, body, request_headers, response_headers)

    original_factory = _rebind(state_task_factory, "state_task_service_for", state_task_service_for)
    _rebind(result_writer_decl, "resource_eval_for", result_writer.resource_eval_for)
    _rebind(result_writer_decl.ResultWriter, "_eval_body", result_writer.result_writer_eval_body)
    _rebind(DistributedItemProcessorWorker, "_eval_job", map_run_children.eval_job)
    moto_map_run = _rebound.get((DistributedIterationComponent, "_map_run"), DistributedIterationComponent._map_run)
    _rebind(DistributedIterationComponent, "_map_run", map_run_children.map_run(moto_map_run))
    _rebind(LambdaFunction, "invoke", invoke_function)
    return runtime


def restore_moto() -> None:
    """moto's own names again for every rebound one (after `use_runtime`), and no child execution kept."""
    from local_cloud.sagemaker.responses import SageMakerJobsResponse
    from local_cloud.stepfunctions import map_run_children

    SageMakerJobsResponse.jobs = None
    for (owner, name), original in _rebound.items():
        setattr(owner, name, original)
    map_run_children.forget_all()
