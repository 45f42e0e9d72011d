"""The local AWS as a whole: state machines run SageMaker jobs and Lambda code, logs are kept, stop is clean."""

import io
import json
import os
import re
import time
import zipfile

import pytest

import contract
from local_cloud.cloud import LocalCloud
from local_cloud.cloud import group_members as members
from local_cloud.demo import upload_sample_dataset

pytestmark = pytest.mark.xdist_group("local-cloud-server")  # one server per run

BUCKET = "local-cloud-tests"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
        }
    ],
}
HANDLER = """
import time
import boto3

class NoCompletedTrial(Exception):
    pass

def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise NoCompletedTrial("no trial completed")
    return {"buckets": [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]],
            "remainingMs": context.get_remaining_time_in_millis()}
"""


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    with LocalCloud(tmp_path_factory.mktemp("run"), mlflow=False) as running:
        iam = running.client("iam")
        role = iam.create_role(RoleName="local", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        running.role = role  # type: ignore[attr-defined]  # the tests' role, kept on the fixture
        running.client("s3").create_bucket(Bucket=BUCKET)
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as package:
            package.writestr("probe/handler.py", HANDLER)
        running.client("lambda").create_function(
            FunctionName="probe",
            Runtime="python3.12",
            Role=role,
            Handler="probe.handler.handler",
            Code={"ZipFile": code.getvalue()},
            Timeout=30,
        )
        yield running


def run_execution(cloud, definition: dict, execution_input: dict, timeout_s: float = 240, on_poll=None) -> dict:
    sfn = cloud.client("stepfunctions")
    name = f"sm-{time.monotonic_ns()}"
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=cloud.role)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(execution_input))["executionArn"]
    deadline = time.monotonic() + timeout_s
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution still running"
        if on_poll is not None:
            on_poll()
        time.sleep(0.2 if on_poll else 0.5)
    return described


def test_lambda_runs_its_package_against_the_local_cloud(cloud):
    response = cloud.client("lambda").invoke(FunctionName="probe", Payload=b"{}")
    assert "FunctionError" not in response
    payload = json.load(response["Payload"])
    assert BUCKET in payload["buckets"]  # its boto3 calls reached this cloud
    assert 0 < payload["remainingMs"] <= 30_000


def test_a_handler_running_past_its_timeout_is_ended(cloud):
    client = cloud.client("lambda")
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("probe/handler.py", HANDLER)
    client.create_function(
        FunctionName="probe-short",
        Runtime="python3.12",
        Role=cloud.role,
        Handler="probe.handler.handler",
        Code={"ZipFile": package.getvalue()},
        Timeout=1,
    )
    started = time.monotonic()
    response = client.invoke(FunctionName="probe-short", Payload=b'{"sleep": 30}')
    assert time.monotonic() - started < 10
    assert response["FunctionError"] == "Unhandled"
    assert json.load(response["Payload"])["errorType"] == "Sandbox.Timedout"


def test_handler_errors_reach_step_functions_by_exception_class_name(cloud):
    definition = {
        "StartAt": "Invoke",
        "States": {
            "Invoke": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "probe", "Payload": {"fail": True}},
                "Catch": [{"ErrorEquals": ["NoCompletedTrial"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    execution = run_execution(cloud, definition, {})
    assert execution["status"] == "SUCCEEDED"
    error = json.loads(execution["output"])["error"]
    assert error["Error"] == "NoCompletedTrial"
    assert json.loads(error["Cause"])["errorMessage"] == "no trial completed"
    logs = list((cloud.run_dir / "logs" / "lambda" / "probe").glob("*.log"))
    assert any("NoCompletedTrial: no trial completed" in log.read_text() for log in logs)


def pipeline_definition(role: str) -> dict:
    """Processing -> training -> model -> transform, the stacks' SageMaker states in miniature."""
    prefix = f"s3://{BUCKET}/runs/t/"
    return {
        "StartAt": "Preprocess",
        "States": {
            "Preprocess": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createProcessingJob.sync",
                "ResultPath": None,
                "Next": "Train",
                "Parameters": {
                    "ProcessingJobName.$": "$.name",
                    "RoleArn": role,
                    "AppSpecification": {
                        "ImageUri": "repo:local",
                        "ContainerEntrypoint": contract.PREPROCESS_ENTRYPOINT,
                    },
                    "ProcessingResources": {
                        "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1}
                    },
                    "ProcessingInputs": [
                        {
                            "InputName": "raw",
                            "S3Input": {
                                "S3Uri": f"s3://{BUCKET}/datasets/digits/",
                                "LocalPath": "/opt/ml/processing/input/raw",
                                "S3DataType": "S3Prefix",
                                "S3InputMode": "File",
                            },
                        }
                    ],
                    "ProcessingOutputConfig": {
                        "Outputs": [
                            {
                                "OutputName": n,
                                "S3Output": {
                                    "S3Uri": f"{prefix}pre/{n}/",
                                    "LocalPath": f"/opt/ml/processing/output/{n}",
                                    "S3UploadMode": "EndOfJob",
                                },
                            }
                            for n in contract.PROCESSING_OUTPUTS
                        ]
                    },
                },
            },
            "Train": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                "ResultPath": "$.training",
                "Next": "Model",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "TrainingFailed"}],
                "Parameters": {
                    "TrainingJobName.$": "$.name",
                    "RoleArn": role,
                    "HyperParameters.$": "$.hyperparameters",
                    "AlgorithmSpecification": {
                        "TrainingImage": "repo:local",
                        "TrainingInputMode": "File",
                        "MetricDefinitions": contract.metric_definitions(),
                    },
                    "InputDataConfig": [
                        {
                            "ChannelName": c,
                            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{prefix}pre/{c}/"}},
                        }
                        for c in contract.TRAINING_CHANNELS
                    ],
                    "OutputDataConfig": {"S3OutputPath": f"{prefix}models/"},
                    "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1},
                    "StoppingCondition": {"MaxRuntimeInSeconds": 300},
                },
            },
            "TrainingFailed": {"Type": "Pass", "End": True},
            "Model": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createModel",
                "ResultPath": None,
                "Next": "Transform",
                "Parameters": {
                    "ModelName.$": "$.name",
                    "ExecutionRoleArn": role,
                    "PrimaryContainer": {
                        "Image": "repo:local",
                        "ModelDataUrl.$": "$.training.ModelArtifacts.S3ModelArtifacts",
                    },
                },
            },
            "Transform": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync",
                "ResultPath": "$.transform",
                "End": True,
                "Parameters": {
                    "TransformJobName.$": "$.name",
                    "ModelName.$": "$.name",
                    "BatchStrategy": "MultiRecord",
                    "MaxPayloadInMB": 6,
                    "TransformInput": {
                        "DataSource": {
                            "S3DataSource": {
                                "S3DataType": "S3Prefix",
                                "S3Uri": f"{prefix}pre/transform/test-images.csv",
                            }
                        },
                        "ContentType": "text/csv",
                        "SplitType": "Line",
                    },
                    "TransformOutput": {
                        "S3OutputPath": f"{prefix}transform/",
                        "Accept": "application/jsonlines",
                        "AssembleWith": "Line",
                    },
                    "TransformResources": {"InstanceCount": 1, "InstanceType": "ml.m5.large"},
                },
            },
        },
    }


@pytest.fixture(scope="module")
def digits(cloud):
    upload_sample_dataset(cloud, BUCKET)


def test_sagemaker_sync_states_run_the_jobs_package(cloud, digits):
    """...and nothing the local cloud starts listens beyond the machine (the model server included)."""
    hyperparameters = {"hidden_channels": "4", "epochs": "1"}
    listening: set[tuple[str, int]] = set()
    execution = run_execution(
        cloud,
        pipeline_definition(cloud.role),
        {"name": "pipe-ok", "hyperparameters": hyperparameters},
        on_poll=lambda: listening.update(cloud.listening_addresses()),
    )

    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    training = output["training"]
    assert training["TrainingJobStatus"] == "Completed"
    assert training["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://{BUCKET}/runs/t/models/pipe-ok/output/model.tar.gz"
    metrics = {m["MetricName"]: m["Value"] for m in training["FinalMetricDataList"]}
    assert set(metrics) == {"train:loss", "test:loss", "test:accuracy"}
    assert output["transform"]["TransformJobStatus"] == "Completed"
    sagemaker = cloud.client("sagemaker")
    assert sagemaker.describe_training_job(TrainingJobName="pipe-ok")["TrainingJobStatus"] == "Completed"
    assert sagemaker.describe_processing_job(ProcessingJobName="pipe-ok")["ProcessingJobStatus"] == "Completed"
    s3 = cloud.client("s3")
    predictions = s3.get_object(Bucket=BUCKET, Key="runs/t/transform/test-images.csv.out")["Body"].read().decode()
    inputs = s3.get_object(Bucket=BUCKET, Key="runs/t/pre/transform/test-images.csv")["Body"].read().decode()
    assert len(predictions.splitlines()) == len(inputs.splitlines())
    assert set(json.loads(predictions.splitlines()[0])) >= {"label", "probabilities"}
    assert (cloud.run_dir / "logs" / "training-jobs" / "pipe-ok.log").is_file()
    transform_log = (cloud.run_dir / "logs" / "transform-jobs" / "pipe-ok.log").read_text()
    served = re.search(r"model server on [^ ]+:(\d+)", transform_log)
    assert served, transform_log
    model_server_port = int(served.group(1))
    ports = {port for _, port in listening}
    assert {cloud.port, model_server_port} <= ports, listening  # seen: the API and the transform's model server
    assert {address for address, _ in listening} <= {"127.0.0.1", "::1"}, listening


def test_a_failed_training_job_fails_its_task_with_the_describe_output(cloud, digits):
    execution = run_execution(
        cloud,
        pipeline_definition(cloud.role),
        {"name": "pipe-bad", "hyperparameters": {"optimizer": "rmsprop", "epochs": "1"}},
    )

    assert execution["status"] == "SUCCEEDED"
    error = json.loads(execution["output"])["error"]
    assert error["Error"] == "States.TaskFailed"
    cause = json.loads(error["Cause"])
    assert cause["TrainingJobStatus"] == "Failed"
    assert "rmsprop" in cause["FailureReason"]
    described = cloud.client("sagemaker").describe_training_job(TrainingJobName="pipe-bad")
    assert described["TrainingJobStatus"] == "Failed" and "rmsprop" in described["FailureReason"]


def test_stop_ends_the_server_and_every_process_it_started(tmp_path):
    cloud = LocalCloud(tmp_path).start()
    try:
        iam = cloud.client("iam")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as package:
            package.writestr("probe/handler.py", HANDLER)
        cloud.client("lambda").create_function(
            FunctionName="sleeper",
            Runtime="python3.12",
            Role=role,
            Handler="probe.handler.handler",
            Code={"ZipFile": code.getvalue()},
            Timeout=120,
        )
        group = cloud.process_group
        assert group is not None
        cloud.wait_for_mlflow()
        mlflow_server = int((cloud.run_dir / "mlflow" / "server.pid").read_text())
        assert mlflow_server in members(group)  # started by the server, in its process group
        before = len(members(group))  # the server, the MLflow server and its uvicorn
        cloud.client("lambda").invoke(FunctionName="sleeper", InvocationType="Event", Payload=b'{"sleep": 100}')
        deadline = time.monotonic() + 20
        while len(members(group)) <= before:  # and the Lambda's process
            assert time.monotonic() < deadline, "the Lambda process never started"
            time.sleep(0.2)
    finally:
        cloud.stop()
    assert members(group) == [] == cloud.leftover_processes()


def test_a_server_whose_starter_was_killed_stops_itself(tmp_path):
    """SIGKILL of whoever started the local cloud (a crashed test worker, a killed `up`) leaves nothing."""
    import signal
    import subprocess
    import sys

    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from local_cloud.cloud import LocalCloud; "
            f"cloud = LocalCloud({str(tmp_path)!r}).start(); print(cloud.process_group, flush=True); time.sleep(600)",
        ],
        cwd=contract.__file__.rsplit("/contract/", 1)[0],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert starter.stdout is not None
        group = int(starter.stdout.readline())
        assert members(group), "the local cloud did not start"
    finally:
        starter.send_signal(signal.SIGKILL)
        starter.wait()
    deadline = time.monotonic() + 20
    while members(group):
        assert time.monotonic() < deadline, f"the orphaned local cloud is still running: {members(group)}"
        time.sleep(0.2)
    assert "is gone; stopping" in (tmp_path / "server.log").read_text()


def test_an_execution_started_without_a_name_gets_one(cloud):
    definition = {
        "StartAt": "Name",
        "States": {"Name": {"Type": "Pass", "Parameters": {"name.$": "$$.Execution.Name"}, "End": True}},
    }
    sfn = cloud.client("stepfunctions")
    arn = sfn.create_state_machine(name="unnamed", definition=json.dumps(definition), roleArn=cloud.role)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        time.sleep(0.2)
    name = json.loads(described["output"])["name"]
    assert name and name != "None" and execution.endswith(":" + name)


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_a_local_cloud_that_cannot_start_is_an_error_line_not_a_traceback(tmp_path):
    """`python -m local_cloud up` on a port already taken: click's Error line with the server log's tail."""
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "local_cloud", "up", "--no-deploy", "--port", str(port), "--run-dir", str(tmp_path)],
            cwd=contract.__file__.rsplit("/contract/", 1)[0],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("Error: the local cloud exited at start; its log"), result.stderr
    left = [pid for pid in os.listdir("/proc") if pid.isdigit() and str(tmp_path) in _cmdline(pid)]
    assert left == [], "a process of the failed local cloud (its MLflow server?) is still running"
    assert "Traceback" not in result.stderr.split("\n", 1)[0] and "LocalCloudError" not in result.stderr
