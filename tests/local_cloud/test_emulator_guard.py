"""Fails loudly when moto's internals that local_cloud/plug.py plugs into change under it (one test per plug point)."""

import inspect

import boto3
import pytest
from moto import mock_aws

from local_cloud import plug


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_moto_is_the_pinned_version():
    plug.check_moto_version()  # raises EmulatorVersionError naming both versions otherwise


def test_plug_points_are_all_listed_and_of_a_known_kind():
    assert {point.how for point in plug.PLUG_POINTS} <= {"register", "rebind", "data"}
    assert [point.name for point in plug.PLUG_POINTS if point.how == "rebind"] == [
        "sagemaker-sync-tasks",
        "distributed-map-results",
        "distributed-map-result-paths",
        "distributed-map-child-executions",
        "distributed-map-failure-threshold",
        "lambda-invoke",
    ]
    assert len({point.name for point in plug.PLUG_POINTS}) == len(plug.PLUG_POINTS)


def test_state_machine_cloudformation_handlers_still_read_the_module_backends():
    """Plug point state-machines-from-cloudformation: ours mirrors moto's handlers but for the backend."""
    from moto.cloudformation import parsing
    from moto.stepfunctions import models, responses

    from local_cloud.stepfunctions.cloudformation import ExecutingStateMachine

    for name in (
        "create_from_cloudformation_json",
        "delete_from_cloudformation_json",
        "update_from_cloudformation_json",
    ):
        source = inspect.getsource(getattr(models.StateMachine, name))
        assert "stepfunctions_backends[account_id][region_name]" in source, name
    assert parameters(responses.get_backend) == ["account", "region"]
    plug.install()
    assert parsing.get_model_map()["AWS::StepFunctions::StateMachine"] is ExecutingStateMachine
    assert "return CloudFormationModel.__subclasses__()" in inspect.getsource(parsing.get_model_list)


def test_step_functions_task_factory_and_service_task_hooks_are_unchanged():
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_factory,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )
    from moto.stepfunctions.parser.asl.utils import boto_client

    # The factory module imports the function by name: the rebinding replaces that name.
    assert "state_task_service_for(service_name=resource.service_name)" in inspect.getsource(
        state_task_factory.state_task_for
    )
    assert "sagemaker" in state_task_service_factory._UNSUPPORTED_SERVICE_NAMES
    assert parameters(StateTaskService._eval_service_task) == [
        "self",
        "env",
        "resource_runtime_part",
        "normalised_parameters",
        "state_credentials",
    ]
    assert parameters(StateTaskService._from_error) == ["self", "env", "ex"]
    # The aws-sdk task leaves its response on the stack, where ours converts its timestamps.
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )

    assert "env.stack.append(response)" in inspect.getsource(StateTaskServiceAwsSdk._eval_service_task)
    assert "StateTaskServiceAwsSdk()" in inspect.getsource(state_task_service_factory.state_task_service_for)
    assert parameters(StateTaskService._get_supported_parameters) == ["self"]
    assert parameters(FailureEvent.__init__) == ["self", "env", "error_name", "event_type", "event_details"]
    assert StatesErrorNameType.StatesTaskFailed.to_name() == "States.TaskFailed"
    # Lambda/aws-sdk tasks call back into the server on localhost:MOTO_PORT.
    assert "moto_server_port()" in inspect.getsource(boto_client.boto_client_for)


def test_sagemaker_backend_keeps_its_job_dicts_and_describe_model():
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import SageMakerModelBackend

    from local_cloud.sagemaker import moto_jobs

    backend = SageMakerModelBackend("us-east-1", "123456789012")
    for _, _, attribute in moto_jobs.JOB_KINDS.values():
        assert isinstance(getattr(backend, attribute), dict), attribute
    with pytest.raises(ValidationError):
        backend.describe_model("missing")
    assert moto_jobs.model_description(backend, "missing") is None
    assert parameters(backend.create_model) == [
        "model_name",
        "execution_role_arn",
        "primary_container",
        "vpc_config",
        "containers",
        "tags",
    ]
    # Describe*Job answers the stored object's response_object.
    for method in ("describe_training_job", "describe_processing_job", "describe_transform_job"):
        assert ".response_object" in inspect.getsource(getattr(SageMakerModelBackend, method)), method


def test_lambda_function_keeps_what_the_runtime_reads():
    from moto.awslambda.models import LambdaFunction

    assert parameters(LambdaFunction.invoke) == ["self", "body", "request_headers", "response_headers"]
    with mock_aws():
        iam = boto3.client("iam")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        boto3.client("lambda").create_function(
            FunctionName="f",
            Runtime="python3.12",
            Role=role,
            Handler="a.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
            Environment={"Variables": {"A": "1"}},
            Timeout=7,
            MemorySize=256,
        )
        from moto.awslambda.models import lambda_backends

        function = lambda_backends["123456789012"]["us-east-1"].get_function("f")
        assert (
            function.function_name,
            function.handler,
            function.environment_vars,
            function.timeout,
            function.memory_size,
        ) == ("f", "a.handler", {"A": "1"}, 7, 256)
        assert function.function_arn.endswith(":function:f")
        assert isinstance(function.code_bytes, bytes)


def test_kms_key_from_cloudformation_with_tags_is_created_once_patched():
    template = {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
                    "Tags": [{"Key": "project", "Value": "x"}],
                },
            }
        },
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}}},
    }
    import json

    plug.install()
    with mock_aws():
        cloudformation = boto3.client("cloudformation")
        cloudformation.create_stack(StackName="s", TemplateBody=json.dumps(template))
        outputs = cloudformation.describe_stacks(StackName="s")["Stacks"][0]["Outputs"]
        assert outputs[0]["OutputValue"].startswith("arn:aws:kms:")


def test_server_entry_points_exist():
    from moto.moto_server import werkzeug_app

    for name in ("DomainDispatcherApplication", "MotoRequestHandler", "create_backend_app"):
        assert hasattr(werkzeug_app, name), name
    from moto.core.config import default_user_config

    assert isinstance(default_user_config, dict)


@pytest.mark.parametrize("action", ["createProcessingJob", "createTrainingJob", "createTransformJob"])
def test_every_job_action_is_mapped(action):
    from local_cloud.sagemaker import moto_jobs

    assert action in moto_jobs.JOB_KINDS


def test_start_execution_response_is_the_one_named_executions_overrides():
    """Plug point execution-names: moto's StartExecution handler, whose one line we change."""
    from moto.stepfunctions import urls
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    from local_cloud.stepfunctions.executions import LocalExecutionsResponse

    source = inspect.getsource(StepFunctionResponse.start_execution)
    assert 'name = self._get_param("name")' in source
    assert "self.stepfunction_backend.start_execution(" in source
    assert parameters(StepFunctionsParserBackend.start_execution)[:4] == [
        "self",
        "state_machine_arn",
        "name",
        "execution_input",
    ]
    plug.install()
    assert list(urls.url_paths) == ["{0}/$"]
    assert urls.url_paths["{0}/$"].__self__ is LocalExecutionsResponse


def test_an_execution_started_without_a_name_is_named_with_a_uuid():
    plug.install()
    with mock_aws():
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        machine = sfn.create_state_machine(
            name="m", definition='{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}', roleArn=role
        )["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
        assert len(arn.rsplit(":", 1)[1]) == 36  # a UUID, not "None"


def test_a_different_moto_version_is_refused_before_anything_is_patched(monkeypatch):
    monkeypatch.setattr(plug, "version", lambda name: "5.3.0")
    with pytest.raises(plug.EmulatorVersionError, match="5.2.5 internals but moto 5.3.0"):
        plug.check_moto_version()


def test_the_pin_is_the_one_the_requirements_install():
    from pathlib import Path

    requirements = (Path(plug.__file__).resolve().parents[1] / "requirements-dev.txt").read_text()
    assert f"moto[server]=={plug.MOTO_VERSION}" in requirements.split()


def test_sagemaker_responses_keep_the_experiment_actions_the_api_is_plugged_into():
    """Plug points experiments-api and experiments-state."""
    from moto.core.base_backend import BackendDict
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult, BaseResponse
    from moto.core.utils import camelcase_to_underscores
    from moto.sagemaker import urls
    from moto.sagemaker.responses import SageMakerResponse

    from local_cloud.experiments import responses
    from local_cloud.sagemaker.responses import SageMakerJobsResponse

    plug.install()
    assert list(urls.url_paths) == ["{0}/$"]
    # Plug point sagemaker-jobs-api: the registered class is the Experiments response with the job actions.
    assert urls.url_paths["{0}/$"].__self__ is SageMakerJobsResponse
    assert issubclass(SageMakerJobsResponse, responses.ExperimentsResponse)
    for action in ("create_training_job", "create_processing_job", "create_transform_job", "stop_processing_job"):
        assert callable(getattr(SageMakerResponse, action, None)), action  # moto's, kept without a runtime
    for action in responses.EXPERIMENT_SHARED_ACTIONS:  # moto's own answers the other resources
        assert callable(getattr(SageMakerResponse, camelcase_to_underscores(action), None)), action
    for action in (*responses.EXPERIMENT_ACTIONS, *responses.EXPERIMENT_SHARED_ACTIONS):
        assert camelcase_to_underscores(action) in vars(responses.ExperimentsResponse), action
    # moto calls the method named after the action; the request body, account and region it reads.
    assert "camelcase_to_underscores(self._get_action())" in inspect.getsource(BaseResponse.call_action)
    source = inspect.getsource(BaseResponse)
    for assignment in ("self.body =", "self.current_account =", "self.region ="):
        assert assignment in source, assignment
    assert parameters(JsonRESTError.__init__)[:3] == ["self", "error_type", "message"]
    assert parameters(ActionResult.__init__)[:2] == ["self", "result"]
    # A BackendDict in use is reset with moto's: each mock_aws() starts with no records.
    assert "for backend in BackendDict._instances" in inspect.getsource(BackendDict.reset)


def test_restore_moto_puts_back_both_rebound_names(tmp_path):
    from moto.awslambda.models import LambdaFunction
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory

    from local_cloud.runtime import LocalRuntime

    invoke, factory = LambdaFunction.invoke, state_task_factory.state_task_service_for
    with mock_aws():  # use_runtime's config change ends with the mock
        plug.use_runtime(LocalRuntime(run_dir=tmp_path, endpoint_url=None, region="us-east-1"))
        assert LambdaFunction.invoke is not invoke
        assert state_task_factory.state_task_service_for is not factory
        plug.restore_moto()
    assert LambdaFunction.invoke is invoke
    assert state_task_factory.state_task_service_for is factory


def test_service_quotas_and_lambda_account_settings_are_still_ours_to_serve():
    # If moto starts serving these itself, review the plug points rather than shadow moto silently.
    from moto.awslambda import urls as lambda_urls
    from moto.awslambda.responses import LambdaResponse
    from moto.servicequotas import urls as servicequotas_urls
    from moto.servicequotas.responses import ServiceQuotasResponse

    from local_cloud.awslambda.account_settings import URL_PATH, AccountSettingsResponse
    from local_cloud.servicequotas.responses import LocalServiceQuotasResponse

    assert not hasattr(ServiceQuotasResponse, "list_service_quotas")
    assert not hasattr(LambdaResponse, "get_account_settings")
    plug.install()
    assert list(servicequotas_urls.url_paths) == ["{0}/$"]
    assert servicequotas_urls.url_paths["{0}/$"].__self__ is LocalServiceQuotasResponse
    assert lambda_urls.url_paths[URL_PATH].__self__ is AccountSettingsResponse


def test_an_aws_sdk_result_carries_timestamps_as_step_functions_writes_them():
    import datetime as dt

    from local_cloud.stepfunctions.timestamps import to_sdk_json

    created = dt.datetime(2013, 8, 23, 1, 2, 15, 422_900, tzinfo=dt.UTC)
    local = created.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert to_sdk_json({"CreationTime": local, "Items": [{"At": created}], "Count": 1}) == {
        "CreationTime": "2013-08-23T01:02:15.422Z",
        "Items": [{"At": "2013-08-23T01:02:15.422Z"}],
        "Count": 1,
    }


def test_sagemaker_metrics_is_ours_to_serve_and_the_server_routes_it_there():
    """Plug point metrics-api: moto's BatchPutMetrics reads moto's SageMaker records (where ours are not)."""
    from moto.moto_server import werkzeug_app
    from moto.sagemakermetrics import urls
    from moto.sagemakermetrics.models import SageMakerMetricsBackend
    from moto.sagemakermetrics.responses import SageMakerMetricsResponse

    from local_cloud.experiments.metrics_responses import MetricsResponse

    assert "self.sagemaker_backend.trial_components" in inspect.getsource(SageMakerMetricsBackend.batch_put_metrics)
    assert callable(SageMakerMetricsResponse.batch_put_metrics)
    plug.install()
    assert sorted(urls.url_paths) == ["{0}/$", "{0}/BatchPutMetrics$"]
    assert {handler.__self__ for handler in urls.url_paths.values()} == {MetricsResponse}
    # In server mode one endpoint serves every service: moto sends a SigV4 "sagemaker" request for
    # /BatchPutMetrics to the metrics service's app.
    source = inspect.getsource(werkzeug_app.DomainDispatcherApplication.infer_service_region_host)
    assert 'environ["PATH_INFO"].endswith("BatchPutMetrics")' in source


def test_moto_result_writer_still_drops_the_results_and_is_built_from_the_name_we_rebind():
    """Plug point distributed-map-results."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer import result_writer_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (
        resource_eval_s3,
    )

    ResourceEvalS3 = resource_eval_s3.ResourceEvalS3

    source = inspect.getsource(ResourceEvalS3._handle_put_object)
    assert "TODO: results" in source and '"SUCCEEDED": []' in source  # moto still writes no result files
    assert "self.resource_eval = resource_eval_for(resource=resource)" in inspect.getsource(
        result_writer_decl.ResultWriter.__init__
    )
    assert parameters(ResourceEvalS3._get_s3_client) == ["resource_runtime_part", "state_credentials"]


def test_moto_result_writer_still_reads_its_paths_from_the_outputs():
    """Plug point distributed-map-result-paths: moto's body evaluates the Parameters on the stack's top."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer import result_writer_decl

    source = inspect.getsource(result_writer_decl.ResultWriter._eval_body)
    assert "self.parargs.eval(env=env)" in source and "env.states.get_input" not in source
    assert parameters(result_writer_decl.ResultWriter._eval_body) == ["self", "env"]


def test_moto_still_runs_the_children_in_the_parent_and_ignores_the_failure_thresholds():
    """Plug points distributed-map-child-executions and distributed-map-failure-threshold: the moto
    internals local_cloud/stepfunctions/map_run_children.py replaces and calls."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import distributed_iteration_component
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
        distributed_item_processor_worker,
    )

    worker = distributed_item_processor_worker.DistributedItemProcessorWorker
    component = distributed_iteration_component.DistributedIterationComponent
    # Every child's events go to one throwaway EventManager, and no child record is kept.
    assert "env.event_manager = EventManager()" in inspect.getsource(component._eval_body)
    assert parameters(worker._eval_job) == ["self", "env", "job"]
    source = inspect.getsource(worker._eval_job)
    for used in ("self._map_run_record.item_counter", "self._eval_input(env_frame=env)", "job.job_program.eval(env)"):
        assert used in source
    # _map_run ends once every job closed; the thresholds reach it, unread.
    assert parameters(component._map_run) == ["self", "env", "eval_input"]
    assert "tolerated" not in inspect.getsource(component._map_run)
    eval_input = distributed_iteration_component.DistributedIterationComponentEvalInput
    assert {"tolerated_failure_count", "tolerated_failure_percentage"} <= set(parameters(eval_input.__init__))
