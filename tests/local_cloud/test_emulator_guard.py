"""Fails loudly when moto's internals that local_cloud/emulator.py patches change under it."""

import inspect

import boto3
import pytest
from moto import mock_aws

from local_cloud import emulator


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_moto_is_the_pinned_version():
    emulator.check_moto_version()  # raises EmulatorVersionError naming both versions otherwise


def test_state_machine_cloudformation_handlers_still_read_the_module_backends():
    from moto.stepfunctions import models, responses

    for name in (
        "create_from_cloudformation_json",
        "delete_from_cloudformation_json",
        "update_from_cloudformation_json",
    ):
        source = inspect.getsource(getattr(models.StateMachine, name))
        assert "stepfunctions_backends[account_id][region_name]" in source, name
    assert hasattr(models, "stepfunctions_backends")
    assert parameters(responses.get_backend) == ["account", "region"]


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

    # The factory module imports the function by name: the patch replaces that name.
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
    assert parameters(StateTaskService._get_supported_parameters) == ["self"]
    assert parameters(FailureEvent.__init__) == ["self", "env", "error_name", "event_type", "event_details"]
    assert StatesErrorNameType.StatesTaskFailed.to_name() == "States.TaskFailed"
    # Lambda/aws-sdk tasks call back into the server on localhost:MOTO_PORT.
    assert "moto_server_port()" in inspect.getsource(boto_client.boto_client_for)


def test_sagemaker_backend_keeps_its_job_and_model_dicts():
    from moto.sagemaker.models import SageMakerModelBackend

    backend = SageMakerModelBackend("us-east-1", "123456789012")
    for attribute in ("training_jobs", "processing_jobs", "transform_jobs", "_models"):
        assert isinstance(getattr(backend, attribute), dict), attribute
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

    emulator.install()
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
    assert action in emulator._JOB_KINDS


def test_parser_start_execution_keeps_its_signature():
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    assert parameters(StepFunctionsParserBackend.start_execution)[:5] == [
        "self",
        "state_machine_arn",
        "name",
        "execution_input",
        "trace_header",
    ]


def test_a_different_moto_version_is_refused_before_anything_is_patched(monkeypatch):
    monkeypatch.setattr(emulator, "version", lambda name: "5.3.0")
    with pytest.raises(emulator.EmulatorVersionError, match="5.2.5 internals but moto 5.3.0"):
        emulator.check_moto_version()


def test_the_pin_is_the_one_the_requirements_install():
    from pathlib import Path

    requirements = (Path(emulator.__file__).resolve().parents[1] / "requirements-dev.txt").read_text()
    assert f"moto[server]=={emulator.MOTO_VERSION}" in requirements.split()


def test_sagemaker_responses_keep_the_experiment_actions_the_api_is_plugged_into():
    from moto.core.base_backend import BackendDict
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult
    from moto.core.utils import camelcase_to_underscores
    from moto.sagemaker.responses import SageMakerResponse

    emulator.install()
    for action in (*emulator.EXPERIMENT_ACTIONS, *emulator.EXPERIMENT_SHARED_ACTIONS):
        method = getattr(SageMakerResponse, camelcase_to_underscores(action), None)
        assert callable(method), action
    # The request body, the account and region the plug reads from a response object.
    from moto.core.responses import BaseResponse

    source = inspect.getsource(BaseResponse)
    for assignment in ("self.body =", "self.current_account =", "self.region ="):
        assert assignment in source, assignment
    assert parameters(JsonRESTError.__init__)[:3] == ["self", "error_type", "message"]
    assert parameters(ActionResult.__init__)[:2] == ["self", "result"]
    assert isinstance(inspect.getattr_static(BackendDict, "reset"), classmethod)
