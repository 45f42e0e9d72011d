"""Pure logic: best-trial selection and a training outcome from the task's result or error."""

from __future__ import annotations

import json

import pytest

from contract import schema
from contract.events import RecordingOutcome, TaskError, TrainingResult, TrialOutcome, TrialResult, UnrecordedRecord
from contract.run_plan import Objective, TrialPlan
from lambdas.experiment_records.outcome import training_outcome
from lambdas.select_best.selection import NoCompletedTrial, select_best, trial_outcomes, unrecorded_records


def outcome(name: str, metrics: dict, status: str = "Completed") -> TrialOutcome:
    return TrialOutcome(
        trial_name=name,
        training_job_name=f"{name}-job",
        status=status,
        hyperparameters={},
        metrics=metrics,
        model_artifact=f"s3://b/{name}/model.tar.gz" if status == "Completed" else None,
    )


def test_maximize_and_minimize_pick_opposite_ends():
    trials = [outcome("a", {"test:loss": 0.3}), outcome("b", {"test:loss": 0.1}), outcome("c", {"test:loss": 0.2})]
    assert select_best(trials, Objective("test:loss", "Minimize")).trial_name == "b"
    assert select_best(trials, Objective("test:loss", "Maximize")).trial_name == "a"


def test_ties_go_to_the_earlier_trial_whatever_the_names():
    trials = [outcome(n, {"test:accuracy": 97.0}) for n in ("z", "b", "a")]
    assert select_best(trials, Objective("test:accuracy", "Maximize")).trial_name == "z"
    assert select_best(list(reversed(trials)), Objective("test:accuracy", "Maximize")).trial_name == "a"


def test_failed_trials_and_trials_without_the_metric_are_never_best():
    trials = [
        outcome("failed", {"test:accuracy": 99.9}, status="Failed"),
        outcome("no-metric", {"test:loss": 0.1}),
        outcome("ok", {"test:accuracy": 50.0}),
    ]
    assert select_best(trials, Objective("test:accuracy", "Maximize")).trial_name == "ok"
    with pytest.raises(NoCompletedTrial, match="no-metric Completed without test:accuracy"):
        select_best(trials[:2], Objective("test:accuracy", "Maximize"))


TRIAL = TrialPlan(
    trial_name="t1",
    training_job_name="j1",
    hyperparameters={"optimizer": "rmsprop"},
    variant={},
    output_s3_uri="s3://b/models/",
    checkpoint_s3_uri="s3://b/checkpoints/t1/",
)


def parse_optional(model, value):
    """How a handler reads an optional field of its event (absent, null or {} mean none)."""
    return schema.parse(model | None, value, "event.field")


def test_a_completed_job_gives_its_final_metrics_and_model():
    result = parse_optional(
        TrainingResult,
        {
            "TrainingJobStatus": "Completed",
            "FinalMetricDataList": [{"MetricName": "test:accuracy", "Value": 97.2}],
            "ModelArtifacts": {"S3ModelArtifacts": "s3://b/m.tar.gz"},
        },
    )
    got = training_outcome(TRIAL, result, None)
    assert (got.status, got.metrics, got.model_artifact, got.failure_reason) == (
        "Completed",
        {"test:accuracy": 97.2},
        "s3://b/m.tar.gz",
        None,
    )


def test_a_caught_failure_takes_the_failure_reason_from_the_describe_json_cause():
    cause = json.dumps({"TrainingJobStatus": "Failed", "FailureReason": "AlgorithmError: rmsprop"})
    got = training_outcome(
        TRIAL,
        parse_optional(TrainingResult, {}),
        parse_optional(TaskError, {"Error": "States.TaskFailed", "Cause": cause}),
    )
    assert (got.status, got.failure_reason) == ("Failed", "AlgorithmError: rmsprop")
    plain = training_outcome(TRIAL, None, parse_optional(TaskError, {"Error": "States.Timeout", "Cause": ""}))
    assert plain.failure_reason == "States.Timeout"
    stopped = training_outcome(TRIAL, parse_optional(TrainingResult, {"TrainingJobStatus": "Stopped"}), None)
    assert (stopped.status, stopped.failure_reason) == ("Failed", "training job ended Stopped")


@pytest.mark.parametrize("empty", [None, {}])
def test_absent_null_and_empty_optional_fields_all_mean_none(empty):
    assert parse_optional(TaskError, empty) is None and parse_optional(TrainingResult, empty) is None


def _plan(name: str) -> TrialPlan:
    return TrialPlan(
        trial_name=name,
        training_job_name=f"{name}-job",
        hyperparameters={"hidden_channels": "5"},
        variant={"hidden_channels": "5"},
        output_s3_uri="s3://b/models/",
        checkpoint_s3_uri=f"s3://b/checkpoints/{name}/",
    )


def test_outcomes_come_from_the_results_whether_or_not_they_were_recorded():
    denied = RecordingOutcome(error="ClientError", cause="AccessDeniedException: sagemaker:AssociateTrialComponent")
    trained = TrainingResult("Completed", {"test:accuracy": 97.5}, "s3://b/t1/model.tar.gz", None)
    results = [
        TrialResult("t2", "t2-job", None, TaskError("States.TaskFailed", "boom"), RecordingOutcome(recorded=True)),
        TrialResult("t1", "t1-job", trained, None, RecordingOutcome(recorded=True), denied),
    ]

    outcomes = trial_outcomes([_plan("t1"), _plan("t2")], results)

    assert [(o.trial_name, o.status) for o in outcomes] == [("t1", "Completed"), ("t2", "Failed")]  # plan order
    assert outcomes[0].metrics == {"test:accuracy": 97.5} and outcomes[0].hyperparameters == {"hidden_channels": "5"}
    throttled = RecordingOutcome(error="Lambda.TooManyRequestsException", cause="Rate Exceeded.")
    assert unrecorded_records(results, throttled) == [
        UnrecordedRecord("RecordPreprocessing", "Lambda.TooManyRequestsException", "Rate Exceeded.", None),
        UnrecordedRecord("RecordTraining", "ClientError", denied.cause or "", "t1"),
    ]
    assert unrecorded_records(results[:1], RecordingOutcome(recorded=True)) == []


def test_a_trial_without_a_result_is_failed_with_the_reason():
    (first, second) = trial_outcomes([_plan("t1"), _plan("t2")], [TrialResult("t1", "t1-job")], map_run_arn="arn:run")
    assert first.trial_name == "t1" and second.status == "Failed"
    assert second.failure_reason == "NoTrialResult: its TrainTrials child left no result in Map Run arn:run"


BUCKET = "experiments-bucket"  # tests/lambdas/conftest.py's


def _sweep_files(s3, children: list[dict], previous: list[dict] | None = None) -> dict:
    """The files SelectBest reads (the plan's trials, a Map Run's manifest and results, a rerun's earlier
    outcomes) written as ValidateInput, the ResultWriter and an earlier SelectBest write them; its event."""
    put = lambda key, value: s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(value).encode())  # noqa: E731
    put("runs/e/x/plan/trials.json", [schema.dump(_plan("t2"))])
    put("runs/e/x/results/run-1/SUCCEEDED_0.json", [c for c in children if c["Status"] == "SUCCEEDED"])
    put("runs/e/x/results/run-1/FAILED_0.json", [c for c in children if c["Status"] != "SUCCEEDED"])
    files = {
        status: [{"Key": f"runs/e/x/results/run-1/{status}_0.json", "Size": 1}] for status in ("SUCCEEDED", "FAILED")
    }
    put("runs/e/x/results/run-1/manifest.json", {"DestinationBucket": BUCKET, "ResultFiles": {**files, "PENDING": []}})
    event = {
        "experimentName": "e",
        "executionName": "x",
        "trials": {"bucket": BUCKET, "key": "runs/e/x/plan/trials.json", "count": 1},
        "results": {
            "MapRunArn": "arn:run",
            "ResultWriterDetails": {"Bucket": BUCKET, "Key": "runs/e/x/results/run-1/manifest.json"},
        },
        "objective": {"metric": "test:accuracy", "goal": "Maximize"},
        "outcomesS3Uri": f"s3://{BUCKET}/runs/e/x/results/outcomes.json",
    }
    if previous is not None:
        put("runs/e/first/results/outcomes.json", {"experimentName": "e", "executionName": "first", "trials": previous})
        event["previousOutcomes"] = f"s3://{BUCKET}/runs/e/first/results/outcomes.json"
    return event


TRAINED = {  # Train's result as the .sync task returns it (DescribeTrainingJob's fields)
    "TrainingJobStatus": "Completed",
    "FinalMetricDataList": [{"MetricName": "test:accuracy", "Value": 97.0}],
    "ModelArtifacts": {"S3ModelArtifacts": "s3://b/rerun/t2/model.tar.gz"},
}


def _succeeded(output: dict) -> dict:
    return {"Status": "SUCCEEDED", "ExecutionArn": "arn:child", "Output": json.dumps(output)}


def test_a_rerun_picks_the_best_over_the_sweeps_completed_trials_and_its_own(aws):
    import boto3

    from contract.events import SelectBestEvent
    from lambdas.select_best.handler import selection

    s3 = boto3.client("s3", region_name="us-east-1")
    kept = {
        "trialName": "t1",
        "trainingJobName": "t1-job",
        "status": "Completed",
        "hyperparameters": {"hidden_channels": "32"},
        "metrics": {"test:accuracy": 98.0},
        "modelArtifact": "s3://b/first/t1/model.tar.gz",
    }
    failed = {"trialName": "t2", "trainingJobName": "t2-old-job", "status": "Failed", "failureReason": "capacity"}
    child = _succeeded({"trialName": "t2", "trainingJobName": "t2-job", "training": TRAINED})
    event = _sweep_files(s3, [child], previous=[kept, failed])

    chosen = selection(schema.parse(SelectBestEvent, event), s3)

    written = json.loads(s3.get_object(Bucket=BUCKET, Key="runs/e/x/results/outcomes.json")["Body"].read())
    # The sweep's order; the retrained trial's failed attempt replaced by its new one; each trial once.
    assert [(t["trialName"], t["trainingJobName"], t["status"]) for t in written["trials"]] == [
        ("t1", "t1-job", "Completed"),
        ("t2", "t2-job", "Completed"),
    ]
    assert chosen.best.trial_name == "t1" and chosen.best.model_artifact == kept["modelArtifact"]
    assert (chosen.outcomes.trials, chosen.outcomes.completed, chosen.outcomes.failed) == (2, 2, 0)
    assert chosen.outcomes.s3_uri == event["outcomesS3Uri"]
    # The rerun's own trial wins when it is better.
    worse = {**kept, "metrics": {"test:accuracy": 90.0}}
    event = _sweep_files(s3, [child], previous=[worse, failed])
    assert selection(schema.parse(SelectBestEvent, event), s3).best.trial_name == "t2"


def test_a_child_that_failed_outside_the_trials_catch_is_a_failed_trial(aws):
    import boto3

    from contract.events import SelectBestEvent
    from lambdas.select_best.handler import NoCompletedTrial, selection

    s3 = boto3.client("s3", region_name="us-east-1")
    iteration = {"experimentName": "e", "preprocessingTrialComponentName": "p", "preprocessingOutputS3Uri": "s3://b/p/"}
    child = {
        "Status": "FAILED",
        "ExecutionArn": "arn:child",
        "Input": json.dumps({**iteration, "trial": schema.dump(_plan("t2"))}),
        "Error": "States.Runtime",
        "Cause": "The JSONPath '$.training' could not be found",
    }
    event = _sweep_files(s3, [child])
    with pytest.raises(NoCompletedTrial, match=r"t2 Failed \(States.Runtime: The JSONPath"):
        selection(schema.parse(SelectBestEvent, event), s3)
    written = json.loads(s3.get_object(Bucket=BUCKET, Key="runs/e/x/results/outcomes.json")["Body"].read())
    assert [(t["trialName"], t["status"]) for t in written["trials"]] == [("t2", "Failed")]  # written all the same
