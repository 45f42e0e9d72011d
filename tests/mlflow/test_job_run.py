"""The training job's MLflow run (jobs/tracking.py): per-epoch metrics; a server that is down never stops training."""

from __future__ import annotations

import time

from mlflow.tracking import MlflowClient

from contract import tracking
from jobs.tracking import TrialRun


def environ(url: str, trial: str) -> dict[str, str]:
    return {
        tracking.TRACKING_URI_ENV: url,
        tracking.EXPERIMENT_NAME_ENV: "job-runs",
        tracking.RUN_NAME_ENV: trial,
        "TRAINING_JOB_NAME": f"{trial}-job",
    }


def test_each_epoch_is_one_step_of_the_trials_run_and_a_resumed_job_keeps_the_run(mlflow_server):
    first = TrialRun(log=lambda line: None, environ=environ(mlflow_server.url, "trial-a"))
    first.log_epoch(1, {"test:accuracy": 90.0, "train:loss": 0.4})
    resumed = TrialRun(log=lambda line: None, environ=environ(mlflow_server.url, "trial-a"))  # a spot resume
    resumed.log_epoch(2, {"test:accuracy": 92.0, "train:loss": 0.3})

    assert first.run_id is not None and resumed.run_id == first.run_id
    history = MlflowClient(tracking_uri=mlflow_server.url).get_metric_history(first.run_id, "test:accuracy")
    assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == [(1, 90.0), (2, 92.0)]
    run = MlflowClient(tracking_uri=mlflow_server.url).get_run(first.run_id)
    assert run.data.tags[tracking.TRIAL_TAG] == "trial-a"
    assert run.data.tags[tracking.TRAINING_JOB_TAG] == "trial-a-job"


def test_a_server_that_is_down_is_reported_once_and_training_goes_on(closed_port_url):
    lines: list[str] = []
    started = time.monotonic()
    run = TrialRun(log=lines.append, environ=environ(closed_port_url, "trial-b"))
    for epoch in (1, 2, 3):
        run.log_epoch(epoch, {"test:accuracy": 90.0})

    assert time.monotonic() - started < 30  # one retry, not MLflow's default seven with backoff
    assert run.run_id is None and run.missed
    assert [line for line in lines if line.startswith("MLflow: not recording")] == [lines[-1]]


def test_tracking_is_off_without_a_tracking_uri():
    run = TrialRun(log=lambda line: None, environ={})
    run.log_epoch(1, {"test:accuracy": 90.0})
    assert run.run_id is None and run.missed is None
