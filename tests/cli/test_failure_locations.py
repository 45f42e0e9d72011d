"""`watch` of a failed execution says where to look: the job's or function's logs, the execution log, local files."""

from __future__ import annotations

import json
from types import SimpleNamespace

import boto3
import pytest
from moto.awslambda import models as lambda_models
from moto.awslambda.responses import LambdaResponse
from moto.core.exceptions import JsonRESTError
from moto.stepfunctions.responses import StepFunctionResponse

from contract import functions, states
from ops import failure_locations
from ops.deployment import AwsAccess
from tests.cli import cloud

TOO_MANY_TRIALS = [{"hidden_channels": h} for h in range(1, 302)]  # SageMaker Experiments allows 300 per experiment


def _execution_log_group(app) -> str:
    """The training state machine's execution log group, as the pipeline stack names it."""
    (group,) = [name for lid, name in app.log_group_names.items() if lid.startswith("TrainingStateMachine")]
    return group


@pytest.fixture
def failing_validation(deployed) -> str:
    """An execution whose ValidateInput task fails: the real function refuses the input (started
    without the CLI, which would refuse it first)."""
    description = cloud.run_training(
        deployed, {"experimentName": "mnist-cnn", "trials": TOO_MANY_TRIALS}, name="bad-input"
    )
    assert description["status"] == "FAILED", description
    return description["executionArn"]


def test_a_failed_job_state_names_the_job_and_its_log_group(deployed, jobs, run_cli):
    start = run_cli(
        "start",
        "--experiment",
        "mnist-cnn",
        "--grid",
        "hidden_channels=2",
        "--dataset",
        cloud.MISSING_DATASET,
        "--name",
        "doomed",
    )
    assert start.exit_code == 0, start.output
    cloud.wait_for(cloud.execution_arn(deployed, "doomed"))

    result = run_cli("watch", "doomed", "--interval", "0")

    assert result.exit_code == 1, result.output
    [(kind, job)] = jobs.jobs
    assert kind == "processing"
    assert f"cause: {cloud.preprocessing_failure(cloud.MISSING_DATASET)}" in result.stdout
    assert (
        f"where to look:\n  processing job {job}: CloudWatch Logs group /aws/sagemaker/ProcessingJobs, "
        f"log streams {job}/*"
    ) in result.stdout
    assert "Lambda function" not in result.stdout and "local log" not in result.stdout  # real AWS, no function failed


def test_a_failed_lambda_state_names_the_function_and_the_execution_log(failing_validation, deployed, app, run_cli):
    function = deployed.function_names[functions.VALIDATE_INPUT.name]

    result = run_cli("watch", failing_validation, "--interval", "0")

    assert result.exit_code == 1, result.output
    assert f"Execution bad-input FAILED in state {states.VALIDATE_INPUT}" in result.stdout
    quota = "trials: 301 trials, past SageMaker Experiments' quota of 300 trials per experiment"
    assert f"cause: InvalidExecutionInput: {quota}" in result.stdout
    # moto answers GetFunctionConfiguration without a LoggingConfig: the function is named, not its group.
    assert f"  Lambda function {function}: its CloudWatch Logs group (the function's LoggingConfig)" in result.stdout
    assert f"  execution log: CloudWatch Logs group {_execution_log_group(app)}" in result.stdout
    assert "job" not in result.stdout.split("where to look:")[1]


def test_the_function_log_group_comes_from_its_logging_config(failing_validation, deployed, run_cli, monkeypatch):
    original = lambda_models.LambdaFunction.get_configuration

    def with_logging_config(self, *args, **kwargs):
        return {
            **original(self, *args, **kwargs),
            "LoggingConfig": {"LogFormat": "JSON", "LogGroup": "/aws/lambda/validate-input-logs"},
        }

    monkeypatch.setattr(lambda_models.LambdaFunction, "get_configuration", with_logging_config)

    result = run_cli("watch", failing_validation, "--interval", "0")

    assert result.exit_code == 1, result.output
    function = deployed.function_names[functions.VALIDATE_INPUT.name]
    assert f"  Lambda function {function}: CloudWatch Logs group /aws/lambda/validate-input-logs" in result.stdout


def test_refused_lookups_leave_their_lines_out_and_keep_exit_1(failing_validation, deployed, run_cli, monkeypatch):
    def refuse(*args, **kwargs):
        raise JsonRESTError("AccessDeniedException", "not authorized to perform this action")

    monkeypatch.setattr(LambdaResponse, "get_function_configuration", refuse)
    monkeypatch.setattr(StepFunctionResponse, "describe_state_machine", refuse)

    result = run_cli("watch", failing_validation, "--interval", "0")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "Error:" not in result.stderr
    function = deployed.function_names[functions.VALIDATE_INPUT.name]
    assert f"  Lambda function {function}: its CloudWatch Logs group (the function's LoggingConfig)" in result.stdout
    assert "execution log:" not in result.stdout


def test_on_the_local_cloud_the_failed_invocation_log_file_is_named(failing_validation, deployed, aws, monkeypatch):
    monkeypatch.setenv(failure_locations.RUN_DIR_VARIABLE, str(aws.run_dir))
    stepfunctions = boto3.client("stepfunctions", region_name=cloud.REGION)
    description = stepfunctions.describe_execution(executionArn=failing_validation)
    function = deployed.function_names[functions.VALIDATE_INPUT.name]
    # The invocation's log, as the local cloud's Lambda runtime writes it: <time>-<request id[:8]>.log.
    [log] = (aws.run_dir / "logs" / "lambda" / function).glob(
        f"*-{json.loads(description['cause'])['requestId'][:8]}.log"
    )
    assert "InvalidExecutionInput" in log.read_text()
    # The clients are moto's; only the endpoint the CLI was given says "local cloud".
    access = SimpleNamespace(
        endpoint_url="http://localhost:4566",
        stepfunctions=stepfunctions,
        client=lambda service: boto3.client(service, region_name=cloud.REGION),
    )

    lines = failure_locations.look_up(
        access, description, state=states.VALIDATE_INPUT, cause=description["cause"]
    ).lines()

    assert f"local log of InvalidExecutionInput (invoke): {log}" in lines
    assert lines[0].startswith(f"Lambda function {function}:")


def test_a_local_run_without_a_matching_file_points_at_the_run_folder(aws, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv(failure_locations.RUN_DIR_VARIABLE, str(tmp_path))
    access = AwsAccess()
    # Nothing listens on that port: the history is given instead of read.
    monkeypatch.setattr(failure_locations, "_history", lambda stepfunctions, arn: [])
    description = {"executionArn": f"arn:aws:states:{cloud.REGION}:{cloud.ACCOUNT}:execution:ExperimentsTraining:x"}

    lines = failure_locations.look_up(
        access, description, state=states.TRANSFORM, cause="ValidationException: bad"
    ).lines()

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
