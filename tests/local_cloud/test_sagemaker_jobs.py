"""The job runner: the container contract a job sees, what lands in S3, what Describe*Job says."""

import io
import json
import sys
import tarfile
import time
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from local_cloud.sagemaker.job_run import JobContext, JobRequestError
from local_cloud.sagemaker.processing import run_processing_job
from local_cloud.sagemaker.s3_io import download_prefix
from local_cloud.sagemaker.training import CpuShares, run_training_job
from local_cloud.sagemaker.transform import batch_records, run_transform_job
from local_cloud.sagemaker.transform_client import TransformError

BUCKET = "jobs-bucket"
FAKE_IMAGE = [sys.executable, str(Path(__file__).with_name("fake_image.py"))]


@pytest.fixture
def context(tmp_path, monkeypatch):
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        for key, body in {
            "data/train/images.npy": b"1",
            "data/train/labels.npy": b"2",
            "data/test/images.npy": b"3",
            "ckpt/t1/checkpoint-1.pt": b"old",
        }.items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        published = []
        job_context = JobContext(
            account="123456789012",
            region="us-east-1",
            run_dir=tmp_path,
            s3=s3,
            publish=lambda kind, d: published.append(d.get("TrainingJobStatus")),
            entrypoint=FAKE_IMAGE,
        )
        job_context.published = published  # type: ignore[attr-defined]  # what Describe*Job would have answered, in order
        yield job_context


class Tracker:
    def __init__(self):
        self.calls = []

    def started(self, description):
        self.calls.append(("started", description["TrainingJobStatus"]))

    def finished(self, description, series):
        self.calls.append(("finished", description["TrainingJobStatus"], series))


def training_request(name="t1", **hps):
    return {
        "TrainingJobName": name,
        "HyperParameters": {"hidden_channels": "5", "epochs": "2", **hps},
        "AlgorithmSpecification": {
            "TrainingImage": "repo:local",
            "TrainingInputMode": "File",
            "MetricDefinitions": [
                {"Name": "test:accuracy", "Regex": r"Test Accuracy: (.*?)%;"},
                {"Name": "train:loss", "Regex": r"Train Loss: (.*?);"},
            ],
        },
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        "InputDataConfig": [
            {
                "ChannelName": c,
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/data/{c}/"}},
            }
            for c in ("train", "test")
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models"},
        "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
        "CheckpointConfig": {"S3Uri": f"s3://{BUCKET}/ckpt/{name}/", "LocalPath": "/opt/ml/checkpoints"},
        "ExperimentConfig": {"ExperimentName": "e", "TrialName": "trial-1"},
    }


def read_model(context, key) -> dict:
    body = context.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        seen = tar.extractfile("seen.json")
        assert seen is not None
        return json.load(seen)


def test_training_job_runs_under_the_container_contract(context):
    tracker = Tracker()
    description = run_training_job(context, training_request(), tracker)

    assert description["TrainingJobStatus"] == "Completed"
    assert context.published[0] == "InProgress" and context.published[-1] == "Completed"
    model_uri = f"s3://{BUCKET}/models/t1/output/model.tar.gz"
    assert description["ModelArtifacts"] == {"S3ModelArtifacts": model_uri}
    seen = read_model(context, "models/t1/output/model.tar.gz")
    root = context.run_dir / "jobs" / "training-jobs" / "t1"
    assert seen["hyperparameters"] == {"hidden_channels": "5", "epochs": "2"}  # strings, as SageMaker passes them
    assert seen["channels"] == {"train": ["images.npy", "labels.npy"], "test": ["images.npy"]}
    assert seen["restored"] == ["checkpoint-1.pt"]
    assert seen["resourceconfig"]["current_host"] == "algo-1"
    assert set(seen["inputdataconfig"]) == {"train", "test"}
    env = seen["env"]
    assert env["SM_MODEL_DIR"] == str(root / "model")
    assert env["SM_CHANNEL_TRAIN"] == str(root / "input" / "data" / "train")
    assert json.loads(env["SM_HPS"]) == {"hidden_channels": "5", "epochs": "2"}
    assert env["SM_HP_HIDDEN_CHANNELS"] == "5" and env["SM_CURRENT_HOST"] == "algo-1"
    assert json.loads(env["SM_TRAINING_ENV"])["job_name"] == "t1"
    # Metrics: the last value each MetricDefinitions regex captured.
    metrics = {m["MetricName"]: m["Value"] for m in description["FinalMetricDataList"]}
    assert metrics == {"test:accuracy": 75.5, "train:loss": 0.5}
    keys = {o["Key"] for o in context.s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert {"ckpt/t1/checkpoint-2.pt", "models/t1/output/output.tar.gz"} <= keys
    assert tracker.calls[0] == ("started", "InProgress")
    assert tracker.calls[1][:2] == ("finished", "Completed")
    assert tracker.calls[1][2]["test:accuracy"] == [50.0, 75.5]
    assert "Test Accuracy: 75.5000%;" in (context.run_dir / "logs" / "training-jobs" / "t1.log").read_text()


# A container entrypoint that keeps what it saw of AWS in its model (the job's env, as a SageMaker
# container sees it), so a test can read it back from model.tar.gz.
ENV_PROBE = (
    "import json, os, sys; from pathlib import Path; "
    "Path(os.environ['SM_MODEL_DIR'], 'seen.json').write_text(json.dumps("
    "{'argv': sys.argv[1:], 'env': {k: v for k, v in os.environ.items() if k.startswith('AWS_')}}))"
)


@pytest.mark.parametrize("isolated", [False, True])
def test_a_container_entrypoint_runs_instead_of_the_images_and_reaches_aws_unless_isolated(context, isolated):
    context.endpoint_url = "http://localhost:4566"
    request = training_request("entry")
    request["AlgorithmSpecification"].update(
        {"ContainerEntrypoint": ["python3", "-c", ENV_PROBE], "ContainerArguments": ["--flag", "1"]}
    )
    request["EnableNetworkIsolation"] = isolated
    description = run_training_job(context, request)

    assert description["TrainingJobStatus"] == "Completed", description.get("FailureReason")
    seen = read_model(context, "models/entry/output/model.tar.gz")
    assert seen["argv"] == ["--flag", "1"]  # ContainerArguments follow the entrypoint; no `train`
    if isolated:  # "the containers can't make any outbound network calls, even to other AWS services"
        assert seen["env"] == {}
    else:  # the job calls AWS with its role's credentials: here the local cloud's endpoint
        assert seen["env"]["AWS_ENDPOINT_URL"] == "http://localhost:4566"
        assert seen["env"]["AWS_REGION"] == "us-east-1" and "AWS_ACCESS_KEY_ID" in seen["env"]


def test_failed_training_job_reports_the_failure_file_and_keeps_checkpoints(context):
    description = run_training_job(context, training_request("t2", fail="optimizer rmsprop"))

    assert description["TrainingJobStatus"] == "Failed"
    assert description["FailureReason"] == "AlgorithmError: ValueError: optimizer rmsprop"
    assert "ModelArtifacts" not in description
    keys = {o["Key"] for o in context.s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert "ckpt/t2/checkpoint-2.pt" in keys
    assert not any(k.startswith("models/t2/output/model") for k in keys)


def test_metrics_come_from_this_run_only_when_a_job_name_is_reused_in_a_kept_run_folder(context, monkeypatch):
    assert run_training_job(context, training_request("t4"))["FinalMetricDataList"]
    # The same job name again (a new local cloud on the same run folder): this run prints no metric.
    context.entrypoint = [sys.executable, "-c", "import sys; sys.exit(3)"]
    description = run_training_job(context, training_request("t4"))
    assert description["TrainingJobStatus"] == "Failed"
    assert description["FinalMetricDataList"] == []
    assert "Test Accuracy: 75.5000%;" in (context.run_dir / "logs" / "training-jobs" / "t4.log").read_text()


def test_training_job_over_its_max_runtime_fails(context, monkeypatch):
    context.entrypoint = [sys.executable, "-c", "import time; time.sleep(30)"]
    request = {**training_request("t3"), "StoppingCondition": {"MaxRuntimeInSeconds": 1}}
    description = run_training_job(context, request)
    assert description["TrainingJobStatus"] == "Failed"
    assert description["FailureReason"].startswith("MaxRuntimeExceeded")


def test_non_string_hyperparameters_are_refused(context):
    with pytest.raises(JobRequestError, match="HyperParameters.epochs"):
        run_training_job(context, {**training_request(), "HyperParameters": {"epochs": 2}})


def test_transform_sends_line_records_in_payload_sized_batches_and_assembles_by_line(context):
    run_training_job(context, training_request("t4"))
    lines = [f"{i}," + "0.5," * 20 for i in range(100)]
    context.s3.put_object(Bucket=BUCKET, Key="in/test-images.csv", Body="\n".join(lines) + "\n")
    request = {
        "TransformJobName": "x1",
        "ModelName": "m",
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": 1,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/in/test-images.csv"}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {
            "S3OutputPath": f"s3://{BUCKET}/out/",
            "Accept": "application/jsonlines",
            "AssembleWith": "Line",
        },
        "TransformResources": {"InstanceCount": 1, "InstanceType": "ml.m5.large"},
    }
    model = {"PrimaryContainer": {"ModelDataUrl": f"s3://{BUCKET}/models/t4/output/model.tar.gz"}}
    description = run_transform_job(context, request, model)

    assert description["TransformJobStatus"] == "Completed", description.get("FailureReason")
    out = context.s3.get_object(Bucket=BUCKET, Key="out/test-images.csv.out")["Body"].read().decode()
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["first"] for r in records] == [str(i) for i in range(100)]  # one per input record, in order
    assert records[0]["n"] == 100  # 100 small records fit one 1 MB request


def test_batches_respect_max_payload_and_single_record():
    records = [b"x" * 400] * 5
    assert [len(b) for b in batch_records(records, "MultiRecord", 1000, joiner=b"\n")] == [801, 801, 400]
    assert len(batch_records(records, "SingleRecord", 1000, joiner=b"\n")) == 5
    with pytest.raises(TransformError, match="exceeds MaxPayloadInMB"):
        batch_records([b"x" * 2000], "MultiRecord", 1000, joiner=b"\n")


def test_processing_job_maps_local_paths_into_its_root(context, monkeypatch):
    script = (
        "import os, pathlib; r = pathlib.Path(os.environ['OPT_ML_ROOT']) / 'processing'; "
        "(r / 'output/o/n.txt').write_text(str(len(list((r / 'input/raw').iterdir()))))"
    )
    request = {
        "ProcessingJobName": "p1",
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        "AppSpecification": {"ImageUri": "repo:local", "ContainerEntrypoint": ["python3", "-c", script]},
        "ProcessingInputs": [
            {
                "InputName": "raw",
                "S3Input": {"S3Uri": f"s3://{BUCKET}/data/train/", "LocalPath": "/opt/ml/processing/input/raw"},
            }
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "o",
                    "S3Output": {"S3Uri": f"s3://{BUCKET}/out/o/", "LocalPath": "/opt/ml/processing/output/o"},
                }
            ]
        },
    }
    description = run_processing_job(context, request)
    assert description["ProcessingJobStatus"] == "Completed"
    assert context.s3.get_object(Bucket=BUCKET, Key="out/o/n.txt")["Body"].read() == b"2"


@pytest.mark.parametrize(
    "uri, expected",
    [
        (f"s3://{BUCKET}/data/train/", ["images.npy", "labels.npy"]),
        (f"s3://{BUCKET}/data/train", ["images.npy", "labels.npy"]),  # a folder without its slash
        (f"s3://{BUCKET}/data/train/labels.npy", ["labels.npy"]),  # one file keeps its name
    ],
)
def test_s3_prefix_downloads_lay_files_out_relative_to_the_prefix(context, tmp_path, uri, expected):
    written = download_prefix(context.s3, uri, tmp_path / "channel")
    assert sorted(p.relative_to(tmp_path / "channel").as_posix() for p in written) == expected


def test_training_jobs_running_at_once_share_the_machines_cpus(monkeypatch):

    monkeypatch.setattr("os.cpu_count", lambda: 4)
    shares = CpuShares()
    with shares.share() as first:
        with shares.share() as second, shares.share() as third:
            assert (first, second, third) == (4, 2, 1)
        with shares.share() as after_two_left:
            assert after_two_left == 2  # the first job still runs
    with shares.share() as alone:
        assert alone == 4


# --- jobs at the API: CreateTrainingJob runs the job whoever calls it -----------------------------------


@pytest.fixture
def api(tmp_path):
    """boto3's SageMaker client on moto with the local runtime plugged in, jobs run by the stand-in image."""
    from local_cloud import plug
    from local_cloud.runtime import LocalRuntime

    plug.install()
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        for key in ("data/train/images.npy", "data/train/labels.npy", "data/test/images.npy"):
            boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"x")
        runtime = plug.use_runtime(LocalRuntime(run_dir=tmp_path, endpoint_url=None, region="us-east-1"))
        runtime.jobs.entrypoint = FAKE_IMAGE
        try:
            yield boto3.client("sagemaker"), runtime
        finally:
            runtime.children.terminate_all()
            plug.restore_moto()


def api_request(name, **hps):
    request = training_request(name, **hps)
    del request["ExperimentConfig"]  # no trial here: the Experiments record is tested elsewhere
    return request


def wait_until(describe, condition, timeout_s=20.0):
    deadline = time.monotonic() + timeout_s
    while not condition(described := describe()):
        assert time.monotonic() < deadline, described
        time.sleep(0.05)
    return described


def test_a_training_job_created_at_the_api_runs_and_reports_its_progress(api):
    sagemaker, _ = api
    sagemaker.create_training_job(**api_request("api-1", sleep="2"))

    def describe():
        return sagemaker.describe_training_job(TrainingJobName="api-1")

    assert describe()["TrainingJobStatus"] == "InProgress"  # not Completed at once, as moto alone answers
    running = wait_until(describe, lambda d: d["SecondaryStatus"] == "Training")
    assert running["TrainingJobStatus"] == "InProgress"
    # The checkpoint is in S3 while the job still runs (it sleeps 2 s after writing it).
    s3 = boto3.client("s3")
    wait_until(lambda: s3.list_objects_v2(Bucket=BUCKET, Prefix="ckpt/api-1/").get("KeyCount", 0), bool, 5)
    assert describe()["TrainingJobStatus"] == "InProgress"
    done = wait_until(describe, lambda d: d["TrainingJobStatus"] != "InProgress")
    assert done["TrainingJobStatus"] == "Completed", done.get("FailureReason")
    assert [t["Status"] for t in done["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    assert done["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://{BUCKET}/models/api-1/output/model.tar.gz"
    assert {m["MetricName"] for m in done["FinalMetricDataList"]} == {"test:accuracy", "train:loss"}
    assert done["BillableTimeInSeconds"] == done["TrainingTimeInSeconds"] >= 2  # on demand: all of it billed


def test_stop_training_job_ends_the_process_and_the_job_is_stopped(api):
    sagemaker, runtime = api
    sagemaker.create_training_job(**api_request("api-2", sleep="60"))

    def describe():
        return sagemaker.describe_training_job(TrainingJobName="api-2")

    wait_until(describe, lambda d: d["SecondaryStatus"] == "Training")
    started = time.monotonic()
    sagemaker.stop_training_job(TrainingJobName="api-2")
    assert describe()["TrainingJobStatus"] in ("Stopping", "Stopped")
    stopped = wait_until(describe, lambda d: d["TrainingJobStatus"] not in ("InProgress", "Stopping"))
    assert stopped["TrainingJobStatus"] == "Stopped" and stopped["SecondaryStatus"] == "Stopped"
    assert time.monotonic() - started < 10  # SIGTERM ended it, not its 60 s
    assert runtime.children._running == set()
    with pytest.raises(sagemaker.exceptions.ClientError, match="ValidationException"):
        sagemaker.stop_training_job(TrainingJobName="api-2")  # it has ended
    with pytest.raises(sagemaker.exceptions.ClientError, match="ResourceNotFound"):
        sagemaker.stop_training_job(TrainingJobName="no-such-job")


def test_a_spot_job_interrupted_once_restarts_from_its_synced_checkpoint(api):
    from local_cloud.sagemaker.spot import SpotInterruption, SpotMarket

    sagemaker, runtime = api
    runtime.spot_market = SpotMarket({"spot-1": SpotInterruption("checkpoint-2.pt", capacity_wait_s=3)})
    boto3.client("s3").delete_object(Bucket=BUCKET, Key="ckpt/spot-1/checkpoint-1.pt")
    request = {
        **api_request("spot-1", sleep="1"),
        "EnableManagedSpotTraining": True,
        "StoppingCondition": {"MaxRuntimeInSeconds": 60, "MaxWaitTimeInSeconds": 120},
    }
    sagemaker.create_training_job(**request)
    done = wait_until(
        lambda: sagemaker.describe_training_job(TrainingJobName="spot-1"),
        lambda d: d["TrainingJobStatus"] != "InProgress",
        timeout_s=30,
    )
    assert done["TrainingJobStatus"] == "Completed", done.get("FailureReason")
    statuses = [t["Status"] for t in done["SecondaryStatusTransitions"]]
    assert statuses == [
        "Starting",
        "Downloading",
        "Training",
        "Interrupted",
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    # The restarted job found the checkpoint its first run wrote and the local cloud synced.
    assert read_model_from_s3("models/spot-1/output/model.tar.gz")["restored"] == ["checkpoint-2.pt"]
    assert done["BillableTimeInSeconds"] < done["TrainingTimeInSeconds"]  # the wait for capacity is not billed


def read_model_from_s3(key) -> dict:
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        seen = tar.extractfile("seen.json")
        assert seen is not None
        return json.load(seen)


def test_an_injected_capacity_fault_fails_the_named_job_once_without_running_it(context):
    from local_cloud.sagemaker.faults import CAPACITY_ERROR, inject_capacity_fault

    inject_capacity_fault(context.run_dir, "t5")
    tracker = Tracker()

    failed = run_training_job(context, training_request("t5"), tracker)
    again = run_training_job(context, training_request("t5"))

    assert failed["TrainingJobStatus"] == "Failed"
    assert failed["FailureReason"] == CAPACITY_ERROR
    assert failed["FailureReason"].startswith("CapacityError: ")
    assert "ModelArtifacts" not in failed and failed["FinalMetricDataList"] == []
    log = (context.run_dir / "logs" / "training-jobs" / "t5.log").read_text()
    assert "Test Accuracy" not in log.split("training job t5: Failed")[0]  # no container ran before the fault
    assert [call[:2] for call in tracker.calls] == [("started", "InProgress"), ("finished", "Failed")]
    # Once: the same name runs normally afterwards, and another name was never affected.
    assert again["TrainingJobStatus"] == "Completed"
    assert run_training_job(context, training_request("t6"))["TrainingJobStatus"] == "Completed"
