"""End to end on the local cloud: a sweep's MLflow records, read back with MLflow's own client; its UI in Chromium."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

from contract import tracking
from local_cloud.mlflow import ui
from local_cloud.run_logs import describe_failure
from tests.e2e.conftest import E2E_GROUP

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(E2E_GROUP)]  # one deploy per run (conftest.py)

EXPERIMENT = "e2e-mlflow"
EXECUTION = "e2e-mlflow-sweep"
EPOCHS = 2
TRIALS = [{"hidden_channels": 2}, {"hidden_channels": 6}, {"hidden_channels": 4, "optimizer": "rmsprop"}]


@pytest.fixture(scope="module")
def sweep(deployed):
    described = deployed.run(
        deployed.training,
        {"experimentName": EXPERIMENT, "hyperparameters": {"epochs": EPOCHS}, "trials": TRIALS},
        name=EXECUTION,
    )
    assert described["status"] == "SUCCEEDED", describe_failure(deployed.cloud.run_dir, described["history"])
    return deployed.output(described)


@pytest.fixture(scope="module")
def mlflow(deployed) -> MlflowClient:
    return MlflowClient(tracking_uri=deployed.cloud.wait_for_mlflow())


@pytest.fixture(scope="module")
def runs(sweep, mlflow):
    """{run name: Run} of the sweep's experiment (the execution's, each trial's, the preprocessing's)."""
    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None, f"no MLflow experiment {EXPERIMENT}"
    found = mlflow.search_runs([experiment.experiment_id], max_results=100)
    return {run.info.run_name: run for run in found}


def test_the_execution_is_a_parent_run_with_a_nested_run_per_trial_and_the_preprocessing(sweep, runs):
    parent = runs[EXECUTION]
    assert parent.info.status == "FINISHED"
    assert parent.data.tags[tracking.EXECUTION_TAG] == EXECUTION
    names = {t["trialName"] for t in sweep["trials"]} | {tracking.PREPROCESSING_RUN_NAME, tracking.TRANSFORM_RUN_NAME}
    assert set(runs) == names | {EXECUTION}
    for name in names:
        assert runs[name].data.tags[tracking.PARENT_RUN_TAG] == parent.info.run_id, name
    preprocessing = runs[tracking.PREPROCESSING_RUN_NAME]
    assert preprocessing.info.status == "FINISHED"
    assert {"train_count", "test_count", "normalization_mean"} <= set(preprocessing.data.params)
    assert preprocessing.data.tags["output.train"].endswith("/preprocessed/train/")


def test_each_trial_run_holds_its_hyperparameters_job_status_and_model(sweep, runs):
    for trial in sweep["trials"]:
        run = runs[trial["trialName"]]
        assert run.data.params == trial["hyperparameters"], trial["trialName"]
        tags = run.data.tags
        assert tags[tracking.TRIAL_TAG] == trial["trialName"]
        assert tags[tracking.TRAINING_JOB_TAG] == trial["trainingJobName"]
        assert tags[tracking.STATUS_TAG] == trial["status"]
        if trial["status"] == "Completed":
            assert run.info.status == "FINISHED"
            assert tags[tracking.MODEL_ARTIFACT_TAG] == trial["modelArtifact"]
        else:
            assert run.info.status == "FAILED"
            assert "rmsprop" in tags[tracking.FAILURE_REASON_TAG]
            assert tags[tracking.FAILURE_REASON_TAG] == trial["failureReason"][: tracking.TAG_VALUE_LIMIT]


def test_completed_trials_have_one_value_per_epoch_of_each_metric(sweep, runs, mlflow):
    completed = [t for t in sweep["trials"] if t["status"] == "Completed"]
    assert len(completed) == 2
    for trial in completed:
        run_id = runs[trial["trialName"]].info.run_id
        for metric in ("train:loss", "test:loss", "test:accuracy"):
            history = mlflow.get_metric_history(run_id, metric)
            assert sorted(m.step for m in history) == list(range(1, EPOCHS + 1)), (trial["trialName"], metric)
        last = max(mlflow.get_metric_history(run_id, "test:accuracy"), key=lambda m: m.step)
        assert last.value == pytest.approx(trial["metrics"]["test:accuracy"])


def test_the_best_trial_is_tagged_on_the_parent_and_nothing_was_missed(sweep, runs):
    tags = runs[EXECUTION].data.tags
    assert tags[tracking.BEST_TRIAL_TAG] == sweep["best"]["trialName"]
    assert float(tags[tracking.BEST_VALUE_TAG]) == pytest.approx(sweep["best"]["value"])
    assert tags[tracking.TRANSFORM_OUTPUT_TAG] == sweep["transform"]["outputS3Uri"]
    assert sweep["outcomes"]["mlflowUnrecorded"] == [] and sweep["transform"]["mlflowUnrecorded"] == []


def test_the_transform_is_a_nested_run_with_its_model_input_and_output(sweep, runs):
    transform = runs[tracking.TRANSFORM_RUN_NAME]
    assert transform.info.status == "FINISHED"
    assert transform.data.params == {"model": sweep["model"], "trial": sweep["best"]["trialName"]}
    assert transform.data.tags[tracking.TRANSFORM_JOB_TAG] == sweep["transform"]["jobName"]
    assert transform.data.tags["output"] == sweep["transform"]["outputS3Uri"]
    assert "/preprocessed/transform/" in transform.data.tags["input"]


def test_the_mlflow_ui_renders_the_sweeps_runs(deployed, sweep):
    # Headless Chromium (Debian's, from `make setup`) on the experiment's runs page, the execution unfolded.
    text = ui.runs_page_text(deployed.cloud.mlflow_url, EXPERIMENT, EXECUTION)

    for trial in sweep["trials"]:
        assert trial["trialName"] in text, f"{trial['trialName']} not on the rendered runs page"
    assert EXECUTION in text and tracking.PREPROCESSING_RUN_NAME in text


def test_cleanup_leaves_no_active_run_of_the_experiment(deployed, sweep, mlflow):
    experiment_id = mlflow.get_experiment_by_name(EXPERIMENT).experiment_id
    described = deployed.run(deployed.cleanup, {"experimentName": EXPERIMENT}, name="e2e-mlflow-cleanup")

    assert described["status"] == "SUCCEEDED", describe_failure(deployed.cloud.run_dir, described["history"])
    assert json.loads(described["output"])["mlflow"] == {"deletedRuns": len(TRIALS) + 3}  # what `ops cleanup` shows
    assert mlflow.search_runs([experiment_id], run_view_type=ViewType.ACTIVE_ONLY) == []
    assert mlflow.get_experiment(experiment_id).lifecycle_stage == "deleted"
    # Softly: the runs are kept in the deleted stage until the backend is purged (README).
    assert len(mlflow.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)) == len(TRIALS) + 3


def test_ops_mlflow_ui_prints_where_the_ui_opens(deployed):
    printed = subprocess.run(
        [sys.executable, "-m", "ops", "mlflow-ui"],
        env={**deployed.cloud.env(), "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    # CreatePresignedMlflowAppUrl on the data stack's App: on the local cloud, its server's plain URL.
    assert printed.strip() == deployed.cloud.mlflow_url
