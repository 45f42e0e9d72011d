"""`compare` on a 300-trial experiment (the trials-per-experiment quota): a few Search pages, 80 columns."""

from __future__ import annotations

import json

import boto3

import contract
from local_cloud import experiments
from tests.cli import cloud

EXPERIMENT = "wide-sweep"
TRIALS = 300


def _record_sweep(sagemaker) -> None:
    """300 trials, each with a SageMaker-made training component, as a sweep of 300 trials leaves them."""
    backend = experiments.backend_for(cloud.ACCOUNT, cloud.REGION)
    sagemaker.create_experiment(ExperimentName=EXPERIMENT)
    for i in range(TRIALS):
        trial = f"{EXPERIMENT}-trial-{i + 1}"
        sagemaker.create_trial(TrialName=trial, ExperimentName=EXPERIMENT)
        job = f"{EXPERIMENT}-train-{i + 1}"
        backend.record_training_job(
            training_job_name=job,
            training_job_arn=f"arn:aws:sagemaker:{cloud.REGION}:{cloud.ACCOUNT}:training-job/{job}",
            experiment_config={"TrialName": trial, "TrialComponentDisplayName": contract.TRAINING_DISPLAY_NAME},
            status="Completed",
            hyperparameters={"hidden_channels": str(i + 1), "epochs": "1"},
            final_metrics={"test:accuracy": 50 + i / 10},
        )


def test_compare_reads_300_trials_in_a_few_search_pages_and_fits_80_columns(aws, run_cli, monkeypatch, tmp_path):
    _record_sweep(boto3.client("sagemaker", region_name=cloud.REGION))
    backend = experiments.backend_for(cloud.ACCOUNT, cloud.REGION)
    before = dict(backend.calls)
    monkeypatch.setenv("COLUMNS", "80")

    result = run_cli("compare", EXPERIMENT, "--json", str(tmp_path / "trials.json"))

    assert result.exit_code == 0, result.output
    calls = {action: n - before.get(action, 0) for action, n in backend.calls.items() if n - before.get(action, 0)}
    assert calls.get("Search") == 3  # 100 components a page, not a List and a Describe per trial
    assert "DescribeTrialComponent" not in calls and "ListTrialComponents" not in calls
    table = [line for line in result.stdout.splitlines() if not line.startswith("Wrote ")]  # the paths aside
    assert max(len(line) for line in table) <= 80, [line for line in table if len(line) > 80][:3]
    assert f"{EXPERIMENT}: {TRIALS} trials, best test:accuracy (Maximize) first" in result.stdout
    rows = json.loads((tmp_path / "trials.json").read_text())["trials"]
    assert len(rows) == TRIALS and rows[0]["trial"] == f"{EXPERIMENT}-trial-{TRIALS}"  # best first
