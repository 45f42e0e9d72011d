"""End to end on the local cloud: jobs created at the API run; managed spot resumes; StopExecution stops a job.

The jobs here are created with boto3, as the SageMaker SDK's estimator.fit and processor.run do, with
the real jobs package (preprocess, train) on the bundled digits.
"""

import json
import time
from pathlib import Path

import pytest

import contract
from local_cloud.cloud import LocalCloud
from local_cloud.demo import upload_sample_dataset
from local_cloud.sagemaker.spot import SPOT_INTERRUPTIONS_ENV

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local-cloud-jobs-api")]

BUCKET = "jobs-at-the-api"
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
SPOT_JOB = "spot-interrupted"
# Interrupt the spot job once its first epoch's checkpoint is in S3 (jobs/train.py names it so).
PLAN = {SPOT_JOB: {"afterCheckpoint": "checkpoint-epoch-0001.pt", "capacityWaitSeconds": 3}}
# Small batches: an epoch lasts about a second, so the interruption falls mid-run, not after the last epoch.
HYPERPARAMETERS = {"hidden_channels": "4", "epochs": "4", "batch_size": "8", "seed": "7"}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    with LocalCloud(
        tmp_path_factory.mktemp("run"), server_env={SPOT_INTERRUPTIONS_ENV: json.dumps(PLAN)}, mlflow=False
    ) as running:
        running.client("s3").create_bucket(Bucket=BUCKET)
        upload_sample_dataset(running, BUCKET)
        yield running


def wait_for(describe, timeout_s=240.0, while_status=("InProgress", "Stopping")):
    deadline = time.monotonic() + timeout_s
    while (described := describe())[next(k for k in described if k.endswith("JobStatus"))] in while_status:
        assert time.monotonic() < deadline, described
        time.sleep(0.5)
    return described


@pytest.fixture(scope="module")
def channels(cloud):
    """The digits preprocessed by a processing job created at the API."""
    sagemaker = cloud.client("sagemaker")
    prefix = f"s3://{BUCKET}/pre/"
    sagemaker.create_processing_job(
        ProcessingJobName="preprocess",
        RoleArn=ROLE,
        AppSpecification={"ImageUri": "repo:local", "ContainerEntrypoint": contract.PREPROCESS_ENTRYPOINT},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1}},
        ProcessingInputs=[
            {
                "InputName": contract.RAW_INPUT,
                "S3Input": {
                    "S3Uri": f"s3://{BUCKET}/datasets/digits/",
                    "LocalPath": f"/opt/ml/processing/input/{contract.RAW_INPUT}",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": n,
                    "S3Output": {
                        "S3Uri": f"{prefix}{n}/",
                        "LocalPath": f"/opt/ml/processing/output/{n}",
                        "S3UploadMode": "EndOfJob",
                    },
                }
                for n in contract.PROCESSING_OUTPUTS
            ]
        },
    )
    done = wait_for(lambda: sagemaker.describe_processing_job(ProcessingJobName="preprocess"))
    assert done["ProcessingJobStatus"] == "Completed", done.get("FailureReason")
    return prefix


def training_job(name: str, channels: str, *, spot: bool, hyperparameters=HYPERPARAMETERS) -> dict:
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "HyperParameters": hyperparameters,
        "AlgorithmSpecification": {
            "TrainingImage": "repo:local",
            "TrainingInputMode": "File",
            "MetricDefinitions": contract.metric_definitions(),
        },
        "InputDataConfig": [
            {
                "ChannelName": c,
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{channels}{c}/"}},
            }
            for c in contract.TRAINING_CHANNELS
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models/"},
        "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300, **({"MaxWaitTimeInSeconds": 600} if spot else {})},
        "EnableManagedSpotTraining": spot,
        "CheckpointConfig": {"S3Uri": f"s3://{BUCKET}/checkpoints/{name}/"},
        # One thread each, whatever else runs: float results depend on torch's thread count.
        "Environment": {"SM_NUM_CPUS": "1"},
    }


def test_a_spot_job_interrupted_mid_run_resumes_and_ends_with_the_uninterrupted_metrics(
    cloud, channels, record_property
):
    sagemaker = cloud.client("sagemaker")
    sagemaker.create_training_job(**training_job(SPOT_JOB, channels, spot=True))
    sagemaker.create_training_job(**training_job("on-demand", channels, spot=False))
    spot = wait_for(lambda: sagemaker.describe_training_job(TrainingJobName=SPOT_JOB))
    plain = wait_for(lambda: sagemaker.describe_training_job(TrainingJobName="on-demand"))

    assert spot["TrainingJobStatus"] == plain["TrainingJobStatus"] == "Completed", spot.get("FailureReason")
    statuses = [t["Status"] for t in spot["SecondaryStatusTransitions"]]
    assert statuses.count("Interrupted") == 1 and statuses.index("Interrupted") < statuses.index("Uploading")
    log = (cloud.run_dir / "logs" / "training-jobs" / f"{SPOT_JOB}.log").read_text()
    # jobs/train.py found a synced checkpoint (the first epoch's, or a later one synced at the same moment).
    assert "Resuming from checkpoint-epoch-000" in log
    assert log.count("Epoch 1/4") == 1 and log.count("Epoch 4/4") == 1  # no epoch trained twice, none skipped
    metrics = {m["MetricName"]: m["Value"] for m in spot["FinalMetricDataList"]}
    assert metrics == {m["MetricName"]: m["Value"] for m in plain["FinalMetricDataList"]}
    assert set(metrics) == {"train:loss", "test:loss", "test:accuracy"}
    for key in ("BillableTimeInSeconds", "TrainingTimeInSeconds"):  # in --junitxml reports
        record_property(f"spot {key}", spot[key])
        record_property(f"on-demand {key}", plain[key])
    record_property("final metrics", metrics)
    assert spot["BillableTimeInSeconds"] < spot["TrainingTimeInSeconds"]
    assert plain["BillableTimeInSeconds"] == plain["TrainingTimeInSeconds"]


def test_stop_execution_stops_the_training_job_it_waits_for(cloud, channels):
    iam = cloud.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "states.amazonaws.com"}}
        ],
    }
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    request = training_job("long", channels, spot=False, hyperparameters={**HYPERPARAMETERS, "epochs": "500"})
    definition = {
        "StartAt": "Train",
        "States": {
            "Train": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                "Parameters": request,
                "End": True,
            }
        },
    }
    sfn, sagemaker = cloud.client("stepfunctions"), cloud.client("sagemaker")
    machine = sfn.create_state_machine(name="long", definition=json.dumps(definition), roleArn=role)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
    deadline = time.monotonic() + 120
    while sagemaker.list_training_jobs(NameContains="long")["TrainingJobSummaries"] == [] or (
        sagemaker.describe_training_job(TrainingJobName="long")["SecondaryStatus"] != "Training"
    ):
        assert time.monotonic() < deadline, "the job never started training"
        time.sleep(0.5)

    sfn.stop_execution(executionArn=execution)
    stopped = wait_for(lambda: sagemaker.describe_training_job(TrainingJobName="long"), timeout_s=60)
    assert stopped["TrainingJobStatus"] == "Stopped"
    assert sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
    assert not [pid for pid in cloud.leftover_processes() if b"train" in Path(f"/proc/{pid}/cmdline").read_bytes()]
