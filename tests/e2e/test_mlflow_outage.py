"""End to end on the local cloud: the MLflow server stops mid-sweep; the sweep succeeds and says what it missed."""

import json
import time

import pytest

from contract import names
from local_cloud.cloud import LocalCloud
from local_cloud.demo import upload_sample_dataset
from local_cloud.deploy import deploy
from local_cloud.run_logs import describe_failure
from tests.e2e.conftest import Deployed

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local-cloud-mlflow-outage")]  # a cloud of its own

EXPERIMENT = "e2e-outage"
EXECUTION = "e2e-outage-sweep"
# Small batches over several epochs: each trial trains for seconds, so the server goes down mid-training.
HYPERPARAMETERS = {"epochs": 4, "batch_size": 16}
TRIALS = [{"hidden_channels": 2}, {"hidden_channels": 4}]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    with LocalCloud(tmp_path_factory.mktemp("outage")) as cloud:
        stacks = Deployed(cloud, deploy(cloud.endpoint_url, work_dir=cloud.run_dir))
        upload_sample_dataset(cloud, stacks.bucket)
        cloud.wait_for_mlflow()
        yield stacks


def test_a_sweep_whose_tracking_server_stops_succeeds_and_reports_what_mlflow_lacks(deployed):
    arn = deployed.sfn.start_execution(
        stateMachineArn=deployed.training,
        name=EXECUTION,
        input=json.dumps({"experimentName": EXPERIMENT, "hyperparameters": HYPERPARAMETERS, "trials": TRIALS}),
    )["executionArn"]
    first_job = names.training_job_name(EXPERIMENT, names.run_id(EXPERIMENT, EXECUTION), 1)
    job_log = deployed.cloud.run_dir / "logs" / "training-jobs" / f"{first_job}.log"
    deadline = time.monotonic() + 180
    while "MLflow: logging the epochs" not in (job_log.read_text() if job_log.is_file() else ""):
        assert time.monotonic() < deadline, f"{first_job} never logged to MLflow"
        time.sleep(0.2)

    deployed.cloud.stop_mlflow()  # mid-training: the jobs' next epochs and every later record miss

    described = deployed.wait(arn, timeout_s=300)
    assert described["status"] == "SUCCEEDED", describe_failure(deployed.cloud.run_dir, described["history"])
    output = deployed.output(described)
    assert [t["status"] for t in output["trials"]] == ["Completed", "Completed"]
    missed = output["outcomes"]["mlflowUnrecorded"]
    assert any("2 trial(s)" in line and "unreachable" in line for line in missed), missed
    assert output["best"]["trialName"]  # the SageMaker records carried the sweep
