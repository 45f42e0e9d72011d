"""The MNIST notebook's own code (SageMaker SDK 2.x, sagemaker-experiments) and sagemaker-core, against the local cloud.

Each cell runs unchanged in .venv-sdk (requirements-sdk.txt, apart from the project's venv: the SDK
pins its own pandas and numpy), its only change the endpoint: AWS_ENDPOINT_URL, which boto3 reads for
every client. The records it reads are the ones the deployed state machine and the local cloud's
SageMaker wrote for one execution of the notebook's sweep (with a trial that fails, as the notebook's
users' sweeps sometimes do).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import contract
from local_cloud.run_logs import describe_failure
from tests.e2e.conftest import E2E_GROUP

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(E2E_GROUP)]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = PROJECT_ROOT / ".venv-sdk" / "bin" / "python"
CELLS = Path(__file__).with_name("notebook")
EXPERIMENT = "sdk-notebook"
TRIALS = [{"hidden_channels": 2}, {"hidden_channels": 5}, {"hidden_channels": 10, "optimizer": "rmsprop"}]
ROLE = "arn:aws:iam::123456789012:role/sagemaker"


def run_cells(deployed, script: str, *args: str, timeout_s: float = 240) -> str:
    """Runs one of tests/e2e/notebook's scripts with the SDK's interpreter; returns its stdout."""
    assert SDK_PYTHON.exists(), f"{SDK_PYTHON} is missing: `make setup` installs it (requirements-sdk.txt)"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "VIRTUAL_ENV"))},
        "AWS_ENDPOINT_URL": deployed.cloud.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "SAGEMAKER_USER_CONFIG_OVERRIDE": str(CELLS / "sagemaker-config.yaml"),  # no telemetry calls
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
    }
    done = subprocess.run(
        [str(SDK_PYTHON), str(CELLS / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    assert done.returncode == 0, f"{script} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def sweep(deployed):
    described = deployed.run(
        deployed.training,
        {"experimentName": EXPERIMENT, "hyperparameters": {"epochs": 1}, "trials": TRIALS},
        name="sdk-notebook-sweep",
    )
    assert described["status"] == "SUCCEEDED", describe_failure(deployed.cloud.run_dir, described["history"])
    return deployed.output(described)


@pytest.fixture(scope="module")
def cells(deployed, sweep):
    trial_by_channels = {
        t["hyperparameters"]["hidden_channels"]: t["trialName"]
        for t in sweep["trials"]
        if t["hyperparameters"].get("optimizer") != "rmsprop"
    }
    output = run_cells(deployed, "analytics_cells.py", EXPERIMENT, json.dumps(trial_by_channels))
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def core(deployed, sweep):
    return json.loads(run_cells(deployed, "core_resources.py", EXPERIMENT).strip().splitlines()[-1])


def test_the_notebooks_best_pick_is_the_most_accurate_trial(sweep, cells):
    completed = [t for t in sweep["trials"] if t["status"] == "Completed"]
    best = max(completed, key=lambda t: t["metrics"]["test:accuracy"])
    assert cells["best"] == best["trainingJobName"] + contract.TRAINING_COMPONENT_SUFFIX
    assert cells["model_data"] == best["modelArtifact"]
    # The deploy cell's env: hidden_channels and kernel_size read back as numbers (str(int(...))).
    assert cells["env"] == {
        "hidden_channels": best["hyperparameters"]["hidden_channels"],
        "dropout": str(float(best["hyperparameters"]["dropout"])),
        "kernel_size": best["hyperparameters"]["kernel_size"],
    }


def test_the_analytics_table_is_sorted_by_max_accuracy_and_holds_the_failed_trial(sweep, cells):
    rows = cells["analytics"]
    assert len(rows) == len(TRIALS)  # the failed trial too: the dataframe no longer crashes on it
    accuracies = [row["test:accuracy - Max"] for row in rows]
    recorded = [a for a in accuracies if a is not None]
    assert recorded == sorted(recorded, reverse=True) and len(recorded) == 2
    assert accuracies[-1] is None  # the failed trial logged no metric: last in a descending sort
    for column in ("TrialComponentName", "DisplayName", "hidden_channels", "epochs", "dropout", "optimizer"):
        assert column in cells["analytics_columns"], column
    assert {row["hidden_channels"] for row in rows} == {2.0, 5.0, 10.0}


def test_the_lineage_table_lists_the_trials_components_in_creation_order(sweep, cells):
    display_names = [row["DisplayName"] for row in cells["lineage"]]
    assert display_names[0] == contract.PREPROCESSING_DISPLAY_NAME
    assert contract.TRAINING_DISPLAY_NAME in display_names


def test_sagemaker_core_reads_every_record_and_job_of_the_execution(sweep, core):
    completed = [t for t in sweep["trials"] if t["status"] == "Completed"]
    trainings = {t["trainingJobName"] + contract.TRAINING_COMPONENT_SUFFIX: t for t in sweep["trials"]}
    assert set(trainings) <= set(core["components"])
    for name, trial in trainings.items():
        component = core["components"][name]
        assert component["source_type"] == "SageMakerTrainingJob" and component["status"] == trial["status"]
        assert component["parameters"]["hidden_channels"] == "number"
        assert component["parameters"]["optimizer"] == "string"
        assert component["parameters"]["SageMaker.ImageUri"] == "string"
        assert component["message"].startswith(f"Status: {trial['status']}, exit message: ")
    assert sum(1 for c in core["components"].values() if c["metrics"].get("test:accuracy") == 1) == len(completed)
    kinds = sorted(job["kind"] for job in core["jobs"].values())
    assert kinds == sorted(["ProcessingJob", "TransformJob"] + ["TrainingJob"] * len(TRIALS))
    assert all(job["status"] in ("Completed", "Failed") for job in core["jobs"].values())


def test_the_notebooks_cleanup_removes_the_experiment_and_every_component(deployed, sweep, cells, core):
    sagemaker = deployed.sagemaker
    components = [
        s["TrialComponentName"]
        for t in sagemaker.list_trials(ExperimentName=EXPERIMENT)["TrialSummaries"]
        for s in sagemaker.list_trial_components(TrialName=t["TrialName"])["TrialComponentSummaries"]
    ]
    assert len(set(components)) >= len(TRIALS) + 2  # preprocessing (shared), trainings, the transform
    run_cells(deployed, "cleanup_cell.py", EXPERIMENT)
    with pytest.raises(ClientError):
        sagemaker.describe_experiment(ExperimentName=EXPERIMENT)
    for name in set(components):
        with pytest.raises(ClientError) as gone:
            sagemaker.describe_trial_component(TrialComponentName=name)
        assert gone.value.response["Error"]["Code"] == "ResourceNotFound", name


def test_a_run_with_load_run_inside_a_training_job_records_its_parameters_and_metrics(deployed):
    output = run_cells(
        deployed, "run_in_job.py", "sdk-run-experiment", "run-in-job", ROLE, f"s3://{deployed.bucket}/sdk-run/"
    )
    found = json.loads(output.strip().splitlines()[-1])
    assert found["job_status"] == "Completed"
    assert found["job_experiment_config"]["RunName"] == found["experiment_config"]["RunName"]
    component = found["run_component"]
    assert component["Parameters"]["launched_from"] == {"StringValue": "notebook"}  # logged by the notebook
    assert component["Parameters"]["num_train_samples"] == {"NumberValue": 1437.0}  # logged inside the job
    assert component["Parameters"]["optimizer"] == {"StringValue": "sgd"}
    (loss,) = [m for m in component["Metrics"] if m["MetricName"] == "train:loss"]
    assert (loss["Count"], loss["Max"], loss["Last"]) == (3, 1.0, pytest.approx(1 / 3))
    assert component["Status"]["PrimaryStatus"] == "Completed"
    # The job's own component joins the run's group, beside the run.
    assert set(found["run_group_components"]) >= {found["experiment_config"]["RunName"]}
    assert any(name.endswith(contract.TRAINING_COMPONENT_SUFFIX) for name in found["run_group_components"])
