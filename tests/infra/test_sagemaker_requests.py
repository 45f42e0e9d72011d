"""Every SageMaker request of the training state machine, from a real run plan, is valid for botocore's model."""

from __future__ import annotations

import copy
import json

import boto3
import pytest
from moto import mock_aws

import contract
from contract import schema
from contract.events import BestTrial, OutcomesSummary, PipelineState, Selection
from local_cloud import plug
from tests.infra.sagemaker_requests import (
    RENDERED_ITEMS,
    deployed_definition,
    operation_name,
    render_requests,
    request_errors,
    sagemaker_tasks,
)

BUCKET = "sagemaker-experiments-123456789012-us-east-1"
# The state each SageMaker task reads: Preprocess the run plan, TrainTrials (Train's Map) the plan
# after preprocessing, CreateModel and Transform the plan with SelectBest's result beside it.
PLAN_STATES = ("Preprocess", "Train", "CreateModel", "Transform")

TYPICAL = {"trials": [{"hidden_channels": n} for n in (2, 5, 10, 20, 32)], "hyperparameters": {"epochs": 2}}
LONGEST = {
    "experimentName": "e" * 120,
    # With the job's 9 defaults, 91 entries: the HyperParameters map near its 100, one value at the
    # longest the validation takes (the rest short enough for the 256 KiB state limit).
    "hyperparameters": {**{f"h{n:02d}": "v" * 100 for n in range(81)}, "long": "v" * 2500},
    "trials": [{"hidden_channels": 2, "dropout": 0.5}, {"hidden_channels": 32}],
    "dataset": {"s3Uri": f"s3://{BUCKET}/datasets/" + "d" * 200 + "/"},
}


def _plan(raw: dict, execution_name: str, monkeypatch, max_trials: int) -> dict:
    """The run plan the ValidateInput state returns: the real handler, with the function's environment;
    `trials` is the trials file it wrote (TrainTrials' items)."""
    from lambdas.validate_input import handler as validate_input
    from tests.lambdas.conftest import FakeContext

    monkeypatch.setenv("BUCKET_NAME", BUCKET)
    monkeypatch.setenv("MAX_TRIALS", str(max_trials))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    plug.install()
    with mock_aws():  # the handler counts the experiment's trials (the trials-per-experiment quota)
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        plan = validate_input.handler({"input": raw, "executionName": execution_name}, FakeContext())
        trials = json.loads(s3.get_object(Bucket=BUCKET, Key=plan["trials"]["key"])["Body"].read())
    assert len(trials) == plan["trials"]["count"]
    return {**plan, "trials": trials}


def _state_inputs(plan: dict) -> dict[str, dict]:
    trial = plan["trials"][-1]
    best = BestTrial(
        trial_name=trial["trialName"],
        training_job_name=trial["trainingJobName"],
        metric=plan["objective"]["metric"],
        value=98.3,
        model_artifact=f"{trial['outputS3Uri']}{trial['trainingJobName']}/output/model.tar.gz",
    )
    # Where SelectBest puts its result, by the contract's field name (a rename moves it here too).
    selection_field = str(schema.paths(PipelineState).selection).removeprefix("$.")
    outcomes = OutcomesSummary(s3_uri="s3://b/outcomes.json", trials=1, completed=1, failed=0)
    after_best = {**plan, selection_field: schema.dump(Selection(best=best, outcomes=outcomes))}
    return {
        "Preprocess": plan,
        "Train": {**plan, RENDERED_ITEMS: plan["trials"]},
        "CreateModel": after_best,
        "Transform": after_best,
    }


@pytest.fixture(scope="module")
def definition(synthesized):
    return deployed_definition(synthesized.pipeline, "TrainingStateMachine")


def test_every_sagemaker_task_is_rendered_here(definition):
    # A new SageMaker state must get its input model above, or it goes unchecked.
    assert set(sagemaker_tasks(definition)) == set(PLAN_STATES)


@pytest.mark.parametrize(("raw", "execution_name"), [(TYPICAL, "mnist-cnn-20261202"), (LONGEST, "x" * 80)])
def test_requests_from_a_real_run_plan_are_valid(definition, synthesized, monkeypatch, raw, execution_name):
    plan = _plan(raw, execution_name, monkeypatch, synthesized.config.max_trials)
    requests = render_requests(definition, _state_inputs(plan))
    tasks = sagemaker_tasks(definition)
    for name, rendered in requests.items():
        operation = operation_name(tasks[name][1])
        for request in rendered if isinstance(rendered, list) else [rendered]:
            assert request_errors(operation, request) == [], (name, operation)
    trains = requests["Train"]
    assert len(trains) == len(plan["trials"])  # one request per iteration of the real Map
    for request, trial in zip(trains, plan["trials"], strict=True):
        assert request["TrainingJobName"] == trial["trainingJobName"]
        assert request["HyperParameters"] == trial["hyperparameters"]
        assert all(isinstance(v, str) for v in request["HyperParameters"].values())
        channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in request["InputDataConfig"]}
        assert channels == {c: f"{plan['preprocessing']['outputS3Uri']}{c}/" for c in contract.TRAINING_CHANNELS}
        assert request["ExperimentConfig"]["TrialName"] == trial["trialName"]
    assert requests["Transform"]["BatchStrategy"] == "MultiRecord"
    assert requests["CreateModel"]["PrimaryContainer"]["ModelDataUrl"].endswith("/output/model.tar.gz")


@pytest.mark.parametrize(
    ("state", "mutate", "expected"),
    [
        # What ParamValidator alone lets through, and SageMaker refuses:
        ("Train", lambda p: p.update({"TrainingJobName": "t" * 64}), "TrainingJobName: length 64 > max 63"),
        ("Train", lambda p: p.update({"TrainingJobName": "bad_name"}), "TrainingJobName: 'bad_name' does not match"),
        ("Transform", lambda p: p.update({"BatchStrategy": "Files"}), "BatchStrategy: 'Files' not in enum"),
        (
            "Preprocess",
            lambda p: p["StoppingCondition"].update({"MaxRuntimeInSeconds": 777601}),
            "StoppingCondition.MaxRuntimeInSeconds: 777601 > max 777600",
        ),
        (
            "Train",
            lambda p: p.pop("HyperParameters.$") and p.update({"HyperParameters": {f"x{n}": "1" for n in range(101)}}),
            "HyperParameters: 101 entries > max 100",
        ),
        (
            "Preprocess",
            lambda p: p["ProcessingResources"]["ClusterConfig"].update({"InstanceType": "m5.large"}),
            "enum",
        ),
        # ... and what it checks itself (types, minimums):
        ("Train", lambda p: p["StoppingCondition"].update({"MaxRuntimeInSeconds": 0}), "MaxRuntimeInSeconds"),
        ("CreateModel", lambda p: p.pop("ModelName.$"), 'Missing required parameter in input: "ModelName"'),
    ],
)
def test_a_broken_request_is_refused(definition, synthesized, monkeypatch, state, mutate, expected):
    # The definition itself is changed, so the broken value goes through the same rendering.
    broken = copy.deepcopy(definition)
    maps, _ = sagemaker_tasks(broken)[state]
    parameters = broken["States"][maps[0]]["ItemProcessor"]["States"][state] if maps else broken["States"][state]
    mutate(parameters["Parameters"])
    plan = _plan(TYPICAL, "mnist-cnn-20261202", monkeypatch, synthesized.config.max_trials)
    rendered = render_requests(broken, {state: _state_inputs(plan)[state]})[state]
    request = rendered[0] if isinstance(rendered, list) else rendered
    errors = request_errors(operation_name(sagemaker_tasks(broken)[state][1]), request)
    assert any(expected in e for e in errors), errors
