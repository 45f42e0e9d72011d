"""The functions' MLflow records against a real tracking server: runs, nesting, idempotency, misses, deletion."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from contract import tracking
from contract.events import (
    BestTrial,
    MapRunResult,
    RecordTransformEvent,
    ResultWriterDetails,
    SelectBestEvent,
    TransformRecording,
    TrialOutcome,
)
from contract.run_plan import Objective, TransformPlan, TrialPlan, TrialsFile
from jobs.tracking import TrialRun
from lambdas.experiment_records.mlflow_client import Endpoint, MlflowClient, MlflowError
from lambdas.experiment_records.mlflow_records import ExecutionRuns, delete_experiment, run_tags
from lambdas.record_transform.handler import record_transform
from lambdas.select_best.handler import record_in_mlflow

ARN = "arn:aws:sagemaker:eu-west-1:123456789012:mlflow-app/app-ABCDEF123456"


def client_of(url: str) -> MlflowClient:
    endpoint = Endpoint.from_environment({tracking.TRACKING_URI_ENV: url})
    assert endpoint is not None
    return MlflowClient(endpoint)


def plan_of(experiment: str, *hidden_channels: int, epochs: int = 2) -> list[TrialPlan]:
    return [
        TrialPlan(
            trial_name=f"{experiment}-trial-{i}",
            training_job_name=f"{experiment}-train-{i}",
            hyperparameters={"epochs": str(epochs), "hidden_channels": str(h)},
            variant={"hidden_channels": str(h)},
            output_s3_uri=f"s3://bucket/runs/{experiment}/models/",
            checkpoint_s3_uri=f"s3://bucket/runs/{experiment}/checkpoints/{i}/",
        )
        for i, h in enumerate(hidden_channels, start=1)
    ]


def completed(trial: TrialPlan, accuracy: float) -> TrialOutcome:
    return TrialOutcome(
        trial_name=trial.trial_name,
        training_job_name=trial.training_job_name,
        status="Completed",
        hyperparameters=dict(trial.hyperparameters),
        metrics={"test:accuracy": accuracy},
        model_artifact=f"s3://bucket/models/{trial.training_job_name}/output/model.tar.gz",
    )


def failed(trial: TrialPlan, reason: str) -> TrialOutcome:
    return TrialOutcome(
        trial_name=trial.trial_name,
        training_job_name=trial.training_job_name,
        status="Failed",
        hyperparameters=dict(trial.hyperparameters),
        failure_reason=reason,
    )


def job_logs(url: str, experiment: str, trial: TrialPlan, epochs: int) -> str:
    """What the training job does (jobs/tracking.py): its run, one value per epoch."""
    run = TrialRun(
        log=lambda line: None,
        environ={
            tracking.TRACKING_URI_ENV: url,
            tracking.EXPERIMENT_NAME_ENV: experiment,
            tracking.RUN_NAME_ENV: trial.trial_name,
            "TRAINING_JOB_NAME": trial.training_job_name,
        },
    )
    for epoch in range(1, epochs + 1):
        run.log_epoch(epoch, {"train:loss": 1.0 / epoch, "test:loss": 1.2 / epoch, "test:accuracy": 80.0 + epoch})
    assert run.missed is None and run.run_id
    return run.run_id


def best_of(trial: TrialPlan, value: float) -> BestTrial:
    return BestTrial(
        trial_name=trial.trial_name,
        training_job_name=trial.training_job_name,
        metric="test:accuracy",
        value=value,
        model_artifact="s3://bucket/model.tar.gz",
    )


def test_a_sweep_is_a_parent_run_with_the_jobs_runs_nested_and_completed(mlflow_server):
    client = client_of(mlflow_server.url)
    plan = plan_of("sweep-a", 2, 5, 10)
    runs = ExecutionRuns(client, "sweep-a", "execution-1")
    parent = runs.parent_run()
    job_runs = [job_logs(mlflow_server.url, "sweep-a", trial, epochs=2) for trial in plan[:2]]
    outcomes = [completed(plan[0], 81.0), completed(plan[1], 82.0), failed(plan[2], "CapacityError: no ml.m5")]

    misses = runs.record_trials(plan, outcomes, best_of(plan[1], 82.0), {tracking.TRANSFORM_JOB_TAG: "t-1"})

    assert misses == []
    assert runs.parent_run() == parent  # found again, not made twice
    experiment_id = runs.experiment_id
    found = {run["info"]["run_name"]: run for run in client.search_runs(experiment_id)}
    assert set(found) == {"execution-1", *(t.trial_name for t in plan)}
    for trial, outcome in zip(plan, outcomes, strict=True):
        run = found[trial.trial_name]
        tags = run_tags(run)
        assert tags[tracking.PARENT_RUN_TAG] == parent
        assert tags[tracking.STATUS_TAG] == outcome.status
        assert {p["key"]: p["value"] for p in run["data"]["params"]} == trial.hyperparameters
    assert [found[t.trial_name]["info"]["run_id"] for t in plan[:2]] == job_runs  # the jobs' runs, completed
    assert found[plan[2].trial_name]["info"]["status"] == "FAILED"
    assert run_tags(found[plan[2].trial_name])[tracking.FAILURE_REASON_TAG] == "CapacityError: no ml.m5"
    parent_tags = run_tags(found["execution-1"])
    assert parent_tags[tracking.BEST_TRIAL_TAG] == plan[1].trial_name
    assert parent_tags[tracking.TRANSFORM_JOB_TAG] == "t-1"
    assert found["execution-1"]["info"]["status"] == "FINISHED"


def test_recording_again_changes_nothing(mlflow_server):
    client = client_of(mlflow_server.url)
    plan = plan_of("sweep-b", 2)
    runs = ExecutionRuns(client, "sweep-b", "execution-1")
    job_logs(mlflow_server.url, "sweep-b", plan[0], epochs=2)
    for _ in range(2):  # a retried SelectBest
        assert runs.record_trials(plan, [completed(plan[0], 81.0)], best_of(plan[0], 81.0), {}) == []
    assert len(client.search_runs(runs.experiment_id)) == 2


def test_a_completed_trial_whose_job_could_not_log_is_reported(mlflow_server):
    client = client_of(mlflow_server.url)
    plan = plan_of("sweep-c", 2, 5, epochs=3)
    runs = ExecutionRuns(client, "sweep-c", "execution-1")
    job_logs(mlflow_server.url, "sweep-c", plan[0], epochs=3)  # trial 2's job never reached the server

    misses = runs.record_trials(plan, [completed(plan[0], 83.0), completed(plan[1], 84.0)], None, {})

    assert [(m.what, m.trials) for m in misses] == [("per-epoch metrics", [plan[1].trial_name])]
    assert "0 of 3 epochs" in misses[0].reason
    # Its run is made by the function all the same, with the SageMaker outcome.
    names = {run["info"]["run_name"] for run in client.search_runs(runs.experiment_id)}
    assert plan[1].trial_name in names


def test_a_call_the_server_refuses_misses_that_trial_only(mlflow_server):
    client = client_of(mlflow_server.url)
    plan = plan_of("sweep-d", 2, 5)
    runs = ExecutionRuns(client, "sweep-d", "execution-1")
    run_id = job_logs(mlflow_server.url, "sweep-d", plan[0], epochs=2)
    # MLflow params are immutable: a value other than the outcome's makes log-batch refuse (HTTP 400).
    client.log_batch(run_id, params={"hidden_channels": "999"})
    job_logs(mlflow_server.url, "sweep-d", plan[1], epochs=2)

    misses = runs.record_trials(plan, [completed(plan[0], 81.0), completed(plan[1], 82.0)], None, {})

    assert [(m.what, m.trials) for m in misses] == [("trial run", [plan[0].trial_name])]
    assert "INVALID_PARAMETER_VALUE" in misses[0].reason
    assert {run_tags(r).get(tracking.STATUS_TAG) for r in client.search_runs(runs.experiment_id)} >= {"Completed"}


def test_a_server_that_is_down_misses_every_trial_quickly_and_raises_nothing(closed_port_url):
    plan = plan_of("sweep-e", 2, 5)
    request = SelectBestEvent(
        experiment_name="sweep-e",
        execution_name="execution-1",
        trials=TrialsFile(bucket="bucket", key="runs/sweep-e/execution-1/plan/trials.json", count=2),
        results=MapRunResult(
            map_run_arn="arn:aws:states:eu-west-1:123456789012:mapRun:m/1",
            result_writer_details=ResultWriterDetails(bucket="bucket", key="runs/sweep-e/results/manifest.json"),
        ),
        objective=Objective(metric="test:accuracy", goal="Maximize"),
        outcomes_s3_uri="s3://bucket/runs/sweep-e/execution-1/results/outcomes.json",
    )
    outcomes = [completed(plan[0], 81.0), completed(plan[1], 82.0)]
    started = time.monotonic()

    misses = record_in_mlflow(client_of(closed_port_url), request, plan, outcomes, best_of(plan[1], 82.0))

    assert time.monotonic() - started < 5
    assert len(misses) == 1
    assert misses[0].trials == [t.trial_name for t in plan]
    assert "unreachable" in misses[0].reason
    assert "2 trial(s)" in misses[0].line()


def test_delete_leaves_no_active_run_and_a_later_sweep_restores_the_name(mlflow_server):
    client = client_of(mlflow_server.url)
    plan = plan_of("sweep-f", 2)
    runs = ExecutionRuns(client, "sweep-f", "execution-1")
    job_logs(mlflow_server.url, "sweep-f", plan[0], epochs=2)
    runs.record_trials(plan, [completed(plan[0], 81.0)], best_of(plan[0], 81.0), {})
    experiment_id = runs.experiment_id

    assert delete_experiment(client, "sweep-f") == 2
    assert client.search_runs(experiment_id) == []
    assert client.experiment_id("sweep-f", create=False) is None
    assert delete_experiment(client, "sweep-f") == 0  # gone: done
    assert len(client.search_runs(experiment_id, view="DELETED_ONLY")) == 2  # soft: kept until purged

    assert client.experiment_id("sweep-f", create=True) == experiment_id  # restored, not refused


def test_tracking_is_off_without_a_tracking_uri():
    assert Endpoint.from_environment({}) is None


def test_an_app_arn_is_reached_at_its_endpoint_signed_for_sagemaker():
    endpoint = Endpoint.from_environment({tracking.TRACKING_URI_ENV: ARN})
    assert endpoint == Endpoint(url="https://mlflow.sagemaker.eu-west-1.app.aws", app_arn=ARN, region="eu-west-1")

    seen: dict = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            seen.update((k.lower(), v) for k, v in self.headers.items())
            body = b'{"experiment": {"experiment_id": "7", "lifecycle_stage": "active"}}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        from botocore.credentials import Credentials

        local = Endpoint.from_environment(
            {
                tracking.TRACKING_URI_ENV: ARN,
                tracking.CUSTOM_ENDPOINT_ENV: f"http://127.0.0.1:{server.server_port}",
            }
        )
        assert local is not None
        assert MlflowClient(local, Credentials("AKID", "secret")).experiment_id("any", create=False) == "7"
    finally:
        server.shutdown()
    assert seen[tracking.APP_ARN_HEADER] == ARN
    assert "/eu-west-1/sagemaker/aws4_request" in seen["authorization"]
    assert "x-sm-mlflow-app-arn" in seen["authorization"]  # the header is signed


def test_an_error_names_the_call(closed_port_url):
    with pytest.raises(MlflowError, match=r"experiments/get-by-name: .* unreachable"):
        client_of(closed_port_url).experiment("x")


def transform_event(experiment: str, trial: TrialPlan) -> RecordTransformEvent:
    return RecordTransformEvent(
        experiment_name=experiment,
        execution_name="execution-1",
        transform=TransformPlan(
            job_name=f"{experiment}-transform",
            input_s3_uri=f"s3://bucket/runs/{experiment}/preprocessed/transform/",
            output_s3_uri=f"s3://bucket/runs/{experiment}/transform/",
        ),
        model_name=f"{experiment}-model",
        best=best_of(trial, 81.0),
    )


def test_the_transform_is_a_nested_run_once_however_often_it_is_recorded(mlflow_server):
    client = client_of(mlflow_server.url)
    plan = plan_of("sweep-g", 2)
    event = transform_event("sweep-g", plan[0])
    runs = ExecutionRuns(client, "sweep-g", "execution-1")
    job_logs(mlflow_server.url, "sweep-g", plan[0], epochs=2)
    # SelectBest first, as in the state machine: it tags the transform's job and output on the parent.
    transform_tags = {
        tracking.TRANSFORM_JOB_TAG: event.transform.job_name,
        tracking.TRANSFORM_OUTPUT_TAG: event.transform.output_s3_uri,
    }
    assert runs.record_trials(plan, [completed(plan[0], 81.0)], best_of(plan[0], 81.0), transform_tags) == []

    assert record_transform(client, event) == TransformRecording()
    assert record_transform(client, event) == TransformRecording()  # a retried state

    (transform,) = [r for r in client.search_runs(runs.experiment_id) if r["info"]["run_name"] == "transform"]
    tags = run_tags(transform)
    assert tags[tracking.PARENT_RUN_TAG] == runs.parent_run()
    assert tags[tracking.TRANSFORM_JOB_TAG] == "sweep-g-transform"
    assert tags["output"] == "s3://bucket/runs/sweep-g/transform/"
    assert {p["key"]: p["value"] for p in transform["data"]["params"]} == {
        "model": "sweep-g-model",
        "trial": plan[0].trial_name,
    }
    assert transform["info"]["status"] == "FINISHED"
    parent = client._call("GET", "runs/get", {"run_id": runs.parent_run()})["run"]  # noqa: SLF001 - no wrapper
    assert "model" not in {p["key"] for p in parent["data"].get("params", [])}  # the parent stays the parent


def test_a_transform_the_server_cannot_take_is_a_line_of_the_output(closed_port_url):
    recording = record_transform(client_of(closed_port_url), transform_event("sweep-h", plan_of("sweep-h", 2)[0]))
    (line,) = recording.mlflow_unrecorded
    assert line.startswith("transform run: ") and "unreachable" in line
    assert record_transform(None, transform_event("sweep-h", plan_of("sweep-h", 2)[0])) == TransformRecording()


def test_a_server_lost_mid_sweep_misses_the_rest_and_the_best_trials_tags(mlflow_server, closed_port_url):
    plan = plan_of("sweep-i", 2, 5)
    up = ExecutionRuns(client_of(mlflow_server.url), "sweep-i", "execution-1")
    parent, experiment_id = up.parent_run(), up.experiment_id
    # The same execution, its server gone once the parent is known (the client's first calls succeeded).
    down = ExecutionRuns(client_of(closed_port_url), "sweep-i", "execution-1")
    down._experiment_id = experiment_id  # noqa: SLF001 - as if looked up before the server went
    down.parent_run = lambda: parent  # type: ignore[method-assign]
    down.client.search_runs = up.client.search_runs  # type: ignore[method-assign]  # answered before it went

    misses = down.record_trials(plan, [completed(plan[0], 81.0), completed(plan[1], 82.0)], best_of(plan[1], 82.0), {})

    assert [m.what for m in misses] == ["trial runs", "the best trial on the execution run"]
    assert misses[0].trials == [t.trial_name for t in plan]
    assert all("unreachable" in m.reason for m in misses)
