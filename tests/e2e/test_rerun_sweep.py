"""End to end on the local cloud: a sweep whose trials fail once on capacity, then `ops rerun` of only those."""

import json
import os
import subprocess
import sys

import pytest

import contract
from contract import names
from local_cloud.run_logs import describe_failure
from local_cloud.sagemaker.faults import CAPACITY_ERROR, inject_capacity_fault
from tests.e2e.conftest import E2E_GROUP

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(E2E_GROUP)]

EXPERIMENT, EXECUTION = "e2e-rerun", "e2e-rerun-sweep"
HIDDEN_CHANNELS = list(range(2, 14))  # a dozen small trials
FAULTED = (3, 7, 11)  # their training jobs fail once on capacity, as ResourceLimitExceeded would


def ops(deployed, *args: str) -> subprocess.CompletedProcess:
    """`python -m ops --endpoint-url URL ARGS`, as a user runs it against the local cloud."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = [sys.executable, "-m", "ops", "--endpoint-url", deployed.cloud.endpoint_url, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def sweep(deployed):
    run = names.run_id(EXPERIMENT, EXECUTION)
    for index in FAULTED:
        inject_capacity_fault(deployed.cloud.run_dir, names.training_job_name(EXPERIMENT, run, index))
    described = deployed.run(
        deployed.training,
        {
            "experimentName": EXPERIMENT,
            "hyperparameters": {"epochs": 1},
            "trials": [{"hidden_channels": c} for c in HIDDEN_CHANNELS],
        },
        name=EXECUTION,
    )
    assert described["status"] == "SUCCEEDED", describe_failure(deployed.cloud.run_dir, described["history"])
    return deployed.output(described)


@pytest.fixture(scope="module")
def rerun(deployed, sweep):
    trained_before = {j["TrainingJobName"] for j in _training_jobs(deployed)}
    processed_before = len(deployed.sagemaker.list_processing_jobs(MaxResults=100)["ProcessingJobSummaries"])
    done = ops(deployed, "rerun", EXECUTION, "--skip-preflight")
    assert done.returncode == 0, done.stdout + done.stderr
    (execution,) = [
        e
        for e in deployed.sfn.list_executions(stateMachineArn=deployed.training)["executions"]
        if e["name"].startswith(f"{EXECUTION}-rerun-")
    ]
    described = deployed.wait(execution["executionArn"])
    assert described["status"] == "SUCCEEDED", describe_failure(deployed.cloud.run_dir, described["history"])
    new_jobs = {j["TrainingJobName"] for j in _training_jobs(deployed)} - trained_before
    processed = len(deployed.sagemaker.list_processing_jobs(MaxResults=100)["ProcessingJobSummaries"])
    return {
        "stdout": done.stdout,
        "output": deployed.output(described),
        "new_jobs": new_jobs,
        "new_processing_jobs": processed - processed_before,
    }


def _training_jobs(deployed) -> list[dict]:
    pages = deployed.sagemaker.get_paginator("list_training_jobs").paginate()
    return [job for page in pages for job in page["TrainingJobSummaries"]]


def test_the_sweep_succeeds_with_the_faulted_trials_failed(sweep):
    failed = [t for t in sweep["trials"] if t["status"] == "Failed"]
    assert sorted(int(t["hyperparameters"]["hidden_channels"]) for t in failed) == [
        HIDDEN_CHANNELS[i - 1] for i in FAULTED
    ]
    assert all(t["failureReason"] == CAPACITY_ERROR for t in failed)


def test_the_rerun_trains_only_the_failed_trials_and_picks_the_best_over_all(sweep, rerun):
    failed = {t["trialName"] for t in sweep["trials"] if t["status"] == "Failed"}
    assert f"Rerunning {len(FAULTED)} failed trials of {EXECUTION}" in rerun["stdout"]
    assert len(rerun["new_jobs"]) == len(FAULTED)  # completed trials are never retrained
    assert rerun["new_processing_jobs"] == 0  # it trains on the data the sweep preprocessed
    output = rerun["output"]
    assert len(output["trials"]) == len(HIDDEN_CHANNELS) and all(t["status"] == "Completed" for t in output["trials"])
    assert {t["trialName"] for t in output["trials"] if t["trainingJobName"] in rerun["new_jobs"]} == failed
    best = max(output["trials"], key=lambda t: t["metrics"]["test:accuracy"])
    assert output["best"] == {
        "trialName": best["trialName"],
        "metric": "test:accuracy",
        "value": best["metrics"]["test:accuracy"],
    }
    # The transform ran with that model, from the rerun's own run prefix.
    assert output["transform"]["jobName"] != sweep["transform"]["jobName"]


def test_the_records_hold_both_attempts_and_compare_shows_the_latest(deployed, sweep, rerun, tmp_path):
    view = deployed.sagemaker
    for trial in (t for t in sweep["trials"] if t["status"] == "Failed"):
        summaries = view.list_trial_components(TrialName=trial["trialName"])["TrialComponentSummaries"]
        trainings = [s for s in summaries if s["DisplayName"] == contract.TRAINING_DISPLAY_NAME]
        statuses = sorted(
            view.describe_trial_component(TrialComponentName=s["TrialComponentName"])["Status"]["PrimaryStatus"]
            for s in trainings
        )
        assert statuses == ["Completed", "Failed"], trial["trialName"]
    compared = ops(deployed, "compare", EXPERIMENT, "--json", str(tmp_path / "trials.json"))
    assert compared.returncode == 0, compared.stderr
    rows = json.loads((tmp_path / "trials.json").read_text())["trials"]
    assert len(rows) == len(HIDDEN_CHANNELS) and all(row["status"] == "Completed" for row in rows)
    assert sorted(row["attempts"] for row in rows).count(2) == len(FAULTED)
