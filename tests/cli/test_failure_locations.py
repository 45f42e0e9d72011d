"""`watch` of a failed execution says where to look: the job's or function's logs, the execution log, local files."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import boto3
import pytest
from moto.awslambda import models as lambda_models
from moto.awslambda.responses import LambdaResponse
from moto.core.exceptions import JsonRESTError
from moto.stepfunctions.responses import StepFunctionResponse

from ops import failure_locations
from ops.deployment import AwsAccess
from tests.cli import fake_cloud

EXECUTION_LOG_GROUP = "/aws/vendedlogs/states/ExperimentsPipeline-Training-StateMachine"
FUNCTION = "ExperimentsPipeline-ValidateInput"
REQUEST_ID = "8f1c2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b"
FUNCTION_ERROR = {
    "errorMessage": "trials[0].hidden_channels must be a positive integer",
    "errorType": "InvalidExecutionInput",
    "requestId": REQUEST_ID,
    "stackTrace": [],
}


@pytest.fixture
def failing_validation(deployed, monkeypatch) -> str:
    """A logged state machine whose ValidateInput Lambda raises, as the real function does on bad input."""
    function_arn = fake_cloud.validate_function(max_trials=20)
    # The function's code never runs (no Docker here): its invocation answers with a handler error.
    monkeypatch.setattr(
        lambda_models.LambdaFunction, "_invoke_lambda", lambda self, event=None: (json.dumps(FUNCTION_ERROR), True, "")
    )
    definition = {
        "StartAt": "ValidateInput",
        "States": {
            "ValidateInput": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "OutputPath": "$.Payload",
                "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                "End": True,
            }
        },
    }
    stepfunctions = boto3.client("stepfunctions", region_name=fake_cloud.REGION)
    machine = stepfunctions.create_state_machine(
        name="ValidatingTraining",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{fake_cloud.ACCOUNT}:role/states",
        loggingConfiguration={
            "level": "ALL",
            "includeExecutionData": True,
            "destinations": [
                {
                    "cloudWatchLogsLogGroup": {
                        "logGroupArn": f"arn:aws:logs:{fake_cloud.REGION}:{fake_cloud.ACCOUNT}:"
                        f"log-group:{EXECUTION_LOG_GROUP}:*"
                    }
                }
            ],
        },
    )
    execution = stepfunctions.start_execution(
        stateMachineArn=machine["stateMachineArn"],
        name="bad-input",
        input=json.dumps({"experimentName": "mnist-cnn", "trials": [{"hidden_channels": -1}]}),
    )
    arn = execution["executionArn"]
    for _ in range(100):
        if stepfunctions.describe_execution(executionArn=arn)["status"] != "RUNNING":
            break
        time.sleep(0.05)
    return arn


def test_a_failed_job_state_names_the_job_and_its_log_group(deployed, run_cli):
    assert (
        run_cli(
            "start", "--experiment", fake_cloud.BROKEN_EXPERIMENT, "--grid", "hidden_channels=2", "--name", "doomed"
        ).exit_code
        == 0
    )

    result = run_cli("watch", "doomed", "--interval", "0")

    assert result.exit_code == 1, result.output
    assert "cause: ClientError: no MNIST files under s3://missing/raw/" in result.stdout
    assert (
        "where to look:\n  processing job broken-preprocess: CloudWatch Logs group /aws/sagemaker/ProcessingJobs, "
        "log streams broken-preprocess/*"
    ) in result.stdout
    assert "Lambda function" not in result.stdout and "local log" not in result.stdout  # real AWS, no function failed


def test_a_failed_lambda_state_names_the_function_and_the_execution_log(failing_validation, run_cli):
    result = run_cli("watch", failing_validation, "--interval", "0")

    assert result.exit_code == 1, result.output
    assert "Execution bad-input FAILED in state ValidateInput" in result.stdout
    assert "cause: InvalidExecutionInput: trials[0].hidden_channels must be a positive integer" in result.stdout
    # moto answers GetFunctionConfiguration without a LoggingConfig: the function is named, not its group.
    assert f"  Lambda function {FUNCTION}: its CloudWatch Logs group (the function's LoggingConfig)" in result.stdout
    assert f"  execution log: CloudWatch Logs group {EXECUTION_LOG_GROUP}" in result.stdout
    assert "job" not in result.stdout.split("where to look:")[1]


def test_the_function_log_group_comes_from_its_logging_config(failing_validation, run_cli, monkeypatch):
    original = lambda_models.LambdaFunction.get_configuration

    def with_logging_config(self, *args, **kwargs):
        return {
            **original(self, *args, **kwargs),
            "LoggingConfig": {"LogFormat": "JSON", "LogGroup": "/aws/lambda/validate-input-logs"},
        }

    monkeypatch.setattr(lambda_models.LambdaFunction, "get_configuration", with_logging_config)

    result = run_cli("watch", failing_validation, "--interval", "0")

    assert result.exit_code == 1, result.output
    assert f"  Lambda function {FUNCTION}: CloudWatch Logs group /aws/lambda/validate-input-logs" in result.stdout


def test_refused_lookups_leave_their_lines_out_and_keep_exit_1(failing_validation, run_cli, monkeypatch):
    def refuse(*args, **kwargs):
        raise JsonRESTError("AccessDeniedException", "not authorized to perform this action")

    monkeypatch.setattr(LambdaResponse, "get_function_configuration", refuse)
    monkeypatch.setattr(StepFunctionResponse, "describe_state_machine", refuse)

    result = run_cli("watch", failing_validation, "--interval", "0")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "Error:" not in result.stderr
    assert f"  Lambda function {FUNCTION}: its CloudWatch Logs group (the function's LoggingConfig)" in result.stdout
    assert "execution log:" not in result.stdout


def test_on_the_local_cloud_the_failed_invocation_log_file_is_named(failing_validation, tmp_path, monkeypatch):
    log = tmp_path / "logs" / "lambda" / FUNCTION / f"20261129T031000-{REQUEST_ID[:8]}.log"
    log.parent.mkdir(parents=True)
    log.write_text("InvalidExecutionInput: trials[0].hidden_channels must be a positive integer\n")
    monkeypatch.setenv(failure_locations.RUN_DIR_VARIABLE, str(tmp_path))
    stepfunctions = boto3.client("stepfunctions", region_name=fake_cloud.REGION)
    description = stepfunctions.describe_execution(executionArn=failing_validation)
    # The clients are moto's; only the endpoint the CLI was given says "local cloud".
    aws = SimpleNamespace(
        endpoint_url="http://localhost:4566",
        stepfunctions=stepfunctions,
        client=lambda service: boto3.client(service, region_name=fake_cloud.REGION),
    )

    lines = failure_locations.look_up(aws, description, state="ValidateInput", cause=description["cause"]).lines()

    assert f"local log of InvalidExecutionInput (invoke): {log}" in lines
    assert lines[0].startswith(f"Lambda function {FUNCTION}:")


def test_a_local_run_without_a_matching_file_points_at_the_run_folder(aws, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv(failure_locations.RUN_DIR_VARIABLE, str(tmp_path))
    access = AwsAccess()
    # Nothing listens on that port: the history is given instead of read.
    monkeypatch.setattr(failure_locations, "_history", lambda stepfunctions, arn: [])
    description = {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:ExperimentsTraining:x"}

    lines = failure_locations.look_up(access, description, state="Transform", cause="ValidationException: bad").lines()

    assert lines == [
        "the transform job of state Transform: CloudWatch Logs group /aws/sagemaker/TransformJobs, "
        "log streams named after the job",
        f"local logs: every job and Lambda log is under {tmp_path / 'logs'}",
    ]


def test_a_job_name_comes_from_the_failed_task_request_when_the_cause_is_not_the_job_description():
    history = [
        {"id": 1, "type": "ExecutionStarted", "previousEventId": 0},
        {"id": 2, "type": "TaskStateEntered", "previousEventId": 1, "stateEnteredEventDetails": {"name": "Transform"}},
        {
            "id": 3,
            "type": "TaskScheduled",
            "previousEventId": 2,
            "taskScheduledEventDetails": {
                "resourceType": "sagemaker",
                "resource": "createTransformJob.sync",
                "parameters": json.dumps({"TransformJobName": "mnist-cnn-1a2b3c4d-transform"}),
            },
        },
        {
            "id": 4,
            "type": "TaskSubmitFailed",
            "previousEventId": 3,
            "taskSubmitFailedEventDetails": {
                "resourceType": "sagemaker",
                "error": "SageMaker.AmazonSageMakerException",
                "cause": "quota",
            },
        },
        {
            "id": 5,
            "type": "ExecutionFailed",
            "previousEventId": 4,
            "executionFailedEventDetails": {"error": "SageMaker.AmazonSageMakerException", "cause": "quota"},
        },
    ]

    lines = failure_locations.locate(history, state="Transform", cause="quota").lines()

    assert lines == [
        "transform job mnist-cnn-1a2b3c4d-transform: CloudWatch Logs group /aws/sagemaker/TransformJobs, "
        "log streams mnist-cnn-1a2b3c4d-transform/*"
    ]


def test_without_a_readable_history_the_failed_state_still_says_what_kind_of_log_to_open():
    lines = failure_locations.locate([], state="SelectBest", cause="Lambda.Unknown").lines()

    assert lines == ["the Lambda function of state SelectBest: its CloudWatch Logs group"]
