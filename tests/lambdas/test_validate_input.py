"""validate_input: defaults, the run plan's shape and names, and a clear error for each bad input."""

from __future__ import annotations

import json
import re

import boto3
import pytest

import contract
from contract import schema
from contract.run_plan import RunPlan
from lambdas.experiment_records.settings import FunctionMisconfigured
from lambdas.validate_input import handler as validate
from lambdas.validate_input.plan import InvalidExecutionInput, check_execution_input, plan_run

BUCKET = "experiments-bucket"
NOTEBOOK_INPUT = {
    "experimentName": "mnist-cnn",
    "hyperparameters": {"epochs": 2, "dropout": 0.2, "kernel_size": 5, "optimizer": "sgd"},
    "trials": [
        {"hidden_channels": 2},
        {"hidden_channels": 5},
        {"hidden_channels": 10},
        {"hidden_channels": 20},
        {"hidden_channels": 32},
    ],
    "objective": {"metric": "test:accuracy", "goal": "Maximize"},
    "dataset": {"s3Uri": "s3://data-bucket/mnist/raw/"},
}
JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
ENTITY_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}$")


def plan(raw, execution="exec-1", max_trials=10):
    """The plan as the state machine sees it (JSON), checked to parse back into the contract's model, with
    `trials` the trials it points at (as ValidateInput writes them to its trials file)."""
    planned = plan_run(raw, execution_name=execution, bucket_name=BUCKET, max_trials=max_trials)
    assert schema.parse(RunPlan, schema.dump(planned.plan)) == planned.plan
    run = schema.dump(planned.plan)
    layout = contract.RunLayout(BUCKET, planned.plan.experiment_name, execution)
    assert run["trials"] == {"bucket": BUCKET, "key": layout.trials_file, "count": len(planned.trials)}
    assert run["resultsPrefix"] == layout.results
    assert run["outcomesS3Uri"] == f"s3://{BUCKET}/{layout.outcomes_file}"
    return {**run, "trials": schema.dump(planned.trials)}


def test_the_notebook_input_plans_five_trials_with_string_hyperparameters():
    run = plan(NOTEBOOK_INPUT, execution="run_2026-11-29_01")
    base = f"s3://{BUCKET}/runs/mnist-cnn/run_2026-11-29_01/"
    assert run["experimentName"] == "mnist-cnn" and run["executionName"] == "run_2026-11-29_01"
    assert run["objective"] == {"metric": "test:accuracy", "goal": "Maximize"}
    assert run["dataset"] == {"s3Uri": "s3://data-bucket/mnist/raw/"}
    assert run["preprocessing"]["outputS3Uri"] == base + "preprocessed/"
    assert run["transform"]["inputS3Uri"] == base + "preprocessed/transform/test-images.csv"
    assert run["transform"]["outputS3Uri"] == base + "transform/"
    assert [t["variant"] for t in run["trials"]] == [{"hidden_channels": str(c)} for c in (2, 5, 10, 20, 32)]
    first = run["trials"][0]
    assert first["hyperparameters"] == {
        **{h.name: str(h.default) for h in contract.HYPERPARAMETERS},
        "epochs": "2",
        "dropout": "0.2",
        "kernel_size": "5",
        "optimizer": "sgd",
        "hidden_channels": "2",
    }
    assert all(isinstance(v, str) for t in run["trials"] for v in t["hyperparameters"].values())
    assert first["outputS3Uri"] == base + "models/"
    assert first["checkpointS3Uri"] == f"{base}checkpoints/{first['trialName']}/"
    assert set(run) == {
        "experimentName",
        "executionName",
        "objective",
        "dataset",
        "preprocessing",
        "trials",
        "resultsPrefix",
        "outcomesS3Uri",
        "model",
        "transform",
        "previousOutcomes",
        "rerunOf",
    }
    assert run["previousOutcomes"] is None and run["rerunOf"] is None  # not a rerun


def test_defaults_apply_to_everything_but_trials():
    run = plan({"trials": [{}]})
    assert run["experimentName"] == "mnist-cnn"
    assert run["objective"] == contract.DEFAULT_OBJECTIVE
    assert run["dataset"] == {"s3Uri": f"s3://{BUCKET}/{contract.DEFAULT_DATASET_KEY}"}
    assert run["trials"][0]["hyperparameters"] == {h.name: str(h.default) for h in contract.HYPERPARAMETERS}
    assert check_execution_input({"trials": [{}]}, max_trials=1).dataset is None


def test_null_means_the_default_for_every_field_that_has_one():
    checked = check_execution_input(
        {"trials": [{}], "experimentName": None, "hyperparameters": None, "objective": None, "dataset": None},
        max_trials=1,
    )
    assert checked == check_execution_input({"trials": [{}]}, max_trials=1)
    with pytest.raises(InvalidExecutionInput, match="^trials: missing"):
        check_execution_input({"trials": None}, max_trials=1)


def test_booleans_become_true_false_and_semantics_are_left_to_the_training_job():
    run = plan({"trials": [{"optimizer": "rmsprop", "flag": True, "lr": 1e9}]})
    hps = run["trials"][0]["hyperparameters"]
    assert hps["optimizer"] == "rmsprop"  # out of contract.HYPERPARAMETERS' choices: training refuses it
    assert hps["flag"] == "true" and hps["lr"] == "1000000000.0"


def test_derived_names_fit_sagemaker_limits_and_are_unique_per_execution_and_trial():
    longest = "e" + "-x" * 59 + "9"  # 120 characters, the API's maximum
    assert len(longest) == 120
    runs = [
        plan({"experimentName": longest, "trials": [{}] * 10}, execution=e, max_trials=10)
        for e in ("a" * 80, "a" * 79 + "b", "x_y")
    ]
    jobs, entities = [], []
    for run in runs:
        jobs += [run["preprocessing"]["jobName"], run["model"]["modelName"], run["transform"]["jobName"]]
        jobs += [t["trainingJobName"] for t in run["trials"]]
        entities += [run["preprocessing"]["trialComponentName"]] + [t["trialName"] for t in run["trials"]]
        entities += [t["trainingJobName"] + "-aws-training-job" for t in run["trials"]]
    assert all(JOB_NAME.match(n) for n in jobs), [n for n in jobs if not JOB_NAME.match(n)]
    assert all(ENTITY_NAME.match(n) for n in entities), [n for n in entities if not ENTITY_NAME.match(n)]
    assert len(set(jobs)) == len(jobs) and len(set(entities)) == len(entities)


def test_the_same_execution_plans_the_same_names():
    assert plan(NOTEBOOK_INPUT) == plan(NOTEBOOK_INPUT)


@pytest.mark.parametrize(
    "raw, field",
    [
        ({}, "trials"),
        ({"trials": []}, "trials"),
        ({"trials": {"hidden_channels": 2}}, "trials"),
        ({"trials": [{}] * 11}, "trials"),
        ({"trials": [{}, 5]}, r"trials\[1\]"),
        ({"trials": [{"hidden_channels": [2]}]}, r"trials\[0\]\.hidden_channels"),
        ({"trials": [{"hidden_channels": None}]}, r"trials\[0\]\.hidden_channels"),
        ({"trials": [{}], "hyperparameters": {"dropout": {"value": 0.2}}}, r"hyperparameters\.dropout"),
        ({"trials": [{}], "hyperparameters": [1]}, "hyperparameters"),
        ({"trials": [{}], "experimentName": "mnist_cnn"}, "experimentName"),
        ({"trials": [{}], "experimentName": "-mnist"}, "experimentName"),
        ({"trials": [{}], "experimentName": "a" * 121}, "experimentName"),
        ({"trials": [{}], "experimentName": 7}, "experimentName"),
        ({"trials": [{}], "objective": {"metric": "val:f1", "goal": "Maximize"}}, r"objective\.metric"),
        ({"trials": [{}], "objective": {"metric": "test:loss", "goal": "Lowest"}}, r"objective\.goal"),
        ({"trials": [{}], "objective": {"metric": "test:loss"}}, r"objective\.goal"),
        ({"trials": [{}], "dataset": {"s3Uri": "https://bucket/raw/"}}, r"dataset\.s3Uri"),
        ({"trials": [{}], "dataset": "s3://bucket/raw/"}, "dataset"),
        ({"trials": [{}], "trial": [{}]}, "trial"),
    ],
)
def test_each_bad_input_is_refused_with_an_error_naming_the_field(raw, field):
    with pytest.raises(InvalidExecutionInput, match=f"^{field}"):
        check_execution_input(raw, max_trials=10)


def test_the_handler_returns_the_plan_and_raises_the_named_error(aws, context):
    out = validate.handler({"input": NOTEBOOK_INPUT, "executionName": "exec-1"}, context)
    s3 = boto3.client("s3", region_name="us-east-1")
    written = json.loads(s3.get_object(Bucket=out["trials"]["bucket"], Key=out["trials"]["key"])["Body"].read())
    assert {**out, "trials": written} == plan(NOTEBOOK_INPUT)  # the plan, its trials in the file it names
    with pytest.raises(InvalidExecutionInput, match="^trials") as caught:
        validate.handler({"input": {"trials": []}, "executionName": "exec-1"}, context)
    assert type(caught.value).__name__ == "InvalidExecutionInput"  # the error name Step Functions shows


def test_a_misconfigured_function_names_the_variable_not_the_users_input(aws, context, monkeypatch):
    monkeypatch.setenv("MAX_TRIALS", "twenty")
    with pytest.raises(FunctionMisconfigured, match="^MAX_TRIALS: must be a positive integer, got 'twenty'"):
        validate.handler({"input": NOTEBOOK_INPUT, "executionName": "exec-1"}, context)
    monkeypatch.delenv("BUCKET_NAME")
    with pytest.raises(FunctionMisconfigured, match="^BUCKET_NAME: not set"):
        validate.handler({"input": NOTEBOOK_INPUT, "executionName": "exec-1"}, context)


def test_more_trials_than_the_experiments_quota_are_refused_naming_the_quota_and_the_count():
    # Past the quota even where the deployment's own limit would allow them.
    with pytest.raises(InvalidExecutionInput, match=r"^trials: 301 trials, past SageMaker Experiments' quota of 300"):
        check_execution_input({"trials": [{"hidden_channels": i} for i in range(301)]}, max_trials=1000)
    assert len(check_execution_input({"trials": [{}] * 300}, max_trials=300).trials) == 300


def test_a_start_that_would_push_an_existing_experiment_past_the_quota_creates_nothing(aws, context, sm):
    s3 = boto3.client("s3", region_name="us-east-1")
    sm.create_experiment(ExperimentName="crowded")
    for i in range(295):
        sm.create_trial(TrialName=f"earlier-trial-{i}", ExperimentName="crowded")
    six = {"experimentName": "crowded", "trials": [{"hidden_channels": c} for c in range(1, 7)]}

    with pytest.raises(InvalidExecutionInput) as refused:
        validate.handler({"input": six, "executionName": "exec-1"}, context)

    assert str(refused.value) == (
        "experimentName: crowded: the experiment already has 295 trials; 6 more would make 301, "
        "past SageMaker Experiments' quota of 300 trials per experiment"
    )
    pages = sm.get_paginator("list_trials").paginate(ExperimentName="crowded")
    assert sum(len(page["TrialSummaries"]) for page in pages) == 295  # no trial was created
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0
    # Five fit exactly; the plan is returned.
    five = {**six, "trials": six["trials"][:5]}
    planned = validate.handler({"input": five, "executionName": "exec-1"}, context)
    assert planned["trials"]["count"] == 5
    written = json.loads(s3.get_object(Bucket=BUCKET, Key=planned["trials"]["key"])["Body"].read())
    assert [t["variant"] for t in written] == [{"hidden_channels": str(c)} for c in range(1, 6)]


FIRST_OUTCOMES = "s3://bucket/runs/mnist-cnn/first/results/outcomes.json"


def test_a_rerun_trains_the_same_trials_under_new_job_names_and_keeps_the_completed_ones():
    rerun = {"of": "first", "trialNames": ["mnist-cnn-0a1b2c3d-trial-2"], "outcomes": FIRST_OUTCOMES}
    run = plan({"trials": [{"hidden_channels": "5"}], "rerun": rerun})
    (trial,) = run["trials"]
    assert trial["trialName"] == "mnist-cnn-0a1b2c3d-trial-2"  # the same trial of the same experiment
    assert trial["trainingJobName"] != "mnist-cnn-0a1b2c3d-train-2"  # a new job, named from this execution
    # It trains on the data the sweep preprocessed: that execution's job, component and prefix.
    first = plan({"trials": [{"hidden_channels": "5"}]}, execution="first")
    assert run["preprocessing"]["jobName"] == first["preprocessing"]["jobName"]
    assert run["preprocessing"]["trialComponentName"] == first["preprocessing"]["trialComponentName"]
    assert run["preprocessing"]["outputS3Uri"] == first["preprocessing"]["outputS3Uri"]
    assert run["transform"]["inputS3Uri"] == first["transform"]["inputS3Uri"]
    assert run["transform"]["outputS3Uri"] != first["transform"]["outputS3Uri"]  # its own predictions
    assert run["previousOutcomes"] == FIRST_OUTCOMES and run["rerunOf"] == "first"
    # A rerun of a rerun still trains on the first execution's data.
    again = plan(
        {"trials": [{"hidden_channels": "5"}], "rerun": {**rerun, "of": "first-rerun", "preprocessedBy": "first"}}
    )
    assert again["preprocessing"]["outputS3Uri"] == first["preprocessing"]["outputS3Uri"]


@pytest.mark.parametrize(
    "rerun, message",
    [
        ({"trialNames": ["t-2"], "outcomes": FIRST_OUTCOMES}, "rerun.of: missing"),
        ({"of": "first", "trialNames": ["t-2"]}, "rerun.outcomes: missing"),
        (
            {"of": "first", "trialNames": ["t-2", "t-3"], "outcomes": FIRST_OUTCOMES},
            "rerun.trialNames: 2 names for 1 trials",
        ),
        (
            {"of": "first", "trialNames": ["bad name"], "outcomes": FIRST_OUTCOMES},
            "rerun.trialNames[0]: 'bad name' breaks",
        ),
        ({"of": "first", "trialNames": ["t-2"], "outcomes": "first/outcomes"}, "rerun.outcomes: 'first/outcomes'"),
    ],
)
def test_a_bad_rerun_is_refused_naming_the_field(rerun, message):
    with pytest.raises(InvalidExecutionInput, match=re.escape(message)):
        plan({"trials": [{"hidden_channels": "5"}], "rerun": rerun})
