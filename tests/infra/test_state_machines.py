"""The state machine definitions: order of states, .sync jobs, Map, Retry/Catch, valid SageMaker requests."""

from __future__ import annotations

import re

import botocore.session
import pytest
from botocore.validate import ParamValidator

from jobs import contract
from tests.infra.templates import state_machine_definition, state_order, walk_states

PLAN = {
    "experimentName": "mnist-cnn",
    "executionName": "run-1",
    "objective": {"metric": "test:accuracy", "goal": "Maximize"},
    "dataset": {"s3Uri": "s3://bucket/datasets/digits/"},
    "preprocessing": {"jobName": "mnist-cnn-0a1b2c3d-pre", "trialComponentName": "mnist-cnn-0a1b2c3d-pre",
                      "outputS3Uri": "s3://bucket/runs/mnist-cnn/run-1/preprocessed/"},
    "trials": [{"trialName": "mnist-cnn-0a1b2c3d-t00-hc2", "trainingJobName": "mnist-cnn-0a1b2c3d-t00-hc2",
                "hyperparameters": {"hidden_channels": "2", "epochs": "2"}, "variant": {"hidden_channels": "2"},
                "outputS3Uri": "s3://bucket/runs/mnist-cnn/run-1/models/",
                "checkpointS3Uri": "s3://bucket/runs/mnist-cnn/run-1/checkpoints/t00/"}],
    "model": {"modelName": "mnist-cnn-0a1b2c3d-model"},
    "transform": {"jobName": "mnist-cnn-0a1b2c3d-transform",
                  "inputS3Uri": "s3://bucket/runs/mnist-cnn/run-1/preprocessed/transform/test-images.csv",
                  "outputS3Uri": "s3://bucket/runs/mnist-cnn/run-1/transform/"},
    "best": {"trialName": "mnist-cnn-0a1b2c3d-t00-hc2", "modelArtifact": "s3://bucket/runs/m/model.tar.gz"},
}
MAP_ITEM = {"experimentName": "mnist-cnn", "preprocessingTrialComponentName": "c",
            "preprocessingOutputS3Uri": PLAN["preprocessing"]["outputS3Uri"], "trial": PLAN["trials"][0]}


@pytest.fixture(scope="module")
def training(synthesized):
    return state_machine_definition(synthesized.pipeline, "TrainingStateMachine")


@pytest.fixture(scope="module")
def cleanup(synthesized):
    return state_machine_definition(synthesized.pipeline, "CleanupStateMachine")


def _states(definition):
    return dict(walk_states(definition))


def test_training_states_run_in_the_designed_order(training):
    assert state_order(training) == [
        "ValidateInput", "RecordExperiment", "Preprocess", "RecordPreprocessing", "TrainTrials",
        "SelectBest", "CreateModel", "Transform", "RecordTransform", "Summarize",
    ]
    trial = training["States"]["TrainTrials"]["ItemProcessor"]
    assert state_order(trial) == ["RecordTrial", "Train", "Trained", "RecordTraining"]


def test_validation_comes_before_anything_is_created(training):
    first = training["States"][training["StartAt"]]
    assert first["Resource"].endswith(":states:::lambda:invoke")
    assert first["Parameters"]["Payload"] == {"input.$": "$", "executionName.$": "$$.Execution.Name"}
    assert "Catch" not in first  # a bad input fails the execution right here


def test_jobs_run_synchronously(training):
    states = _states(training)
    assert states["Preprocess"]["Resource"].endswith(":states:::sagemaker:createProcessingJob.sync")
    assert states["Train"]["Resource"].endswith(":states:::sagemaker:createTrainingJob.sync")
    assert states["Transform"]["Resource"].endswith(":states:::sagemaker:createTransformJob.sync")
    assert states["CreateModel"]["Resource"].endswith(":states:::sagemaker:createModel")


def test_trials_map_is_inline_with_the_configured_concurrency(training, synthesized):
    trials = training["States"]["TrainTrials"]
    assert trials["Type"] == "Map"
    assert trials["MaxConcurrency"] == synthesized.config.trial_concurrency
    assert trials["ItemsPath"] == "$.trials"
    assert trials["ItemProcessor"]["ProcessorConfig"]["Mode"] == "INLINE"


def test_training_carries_experiment_config_metrics_and_spot(training, synthesized):
    params = _states(training)["Train"]["Parameters"]
    assert params["ExperimentConfig"] == {
        "ExperimentName.$": "$.experimentName", "TrialName.$": "$.trial.trialName",
        "TrialComponentDisplayName": "Training"}
    assert params["AlgorithmSpecification"]["MetricDefinitions"] == [
        {"Name": "train:loss", "Regex": "Train Loss: (.*?);"},
        {"Name": "test:loss", "Regex": "Test Average loss: (.*?),"},
        {"Name": "test:accuracy", "Regex": "Test Accuracy: (.*?)%;"},
    ]
    assert params["HyperParameters.$"] == "$.trial.hyperparameters"
    assert params["EnableManagedSpotTraining"] is True
    assert params["StoppingCondition"] == {"MaxRuntimeInSeconds": synthesized.config.max_runtime_seconds,
                                           "MaxWaitTimeInSeconds": synthesized.config.max_wait_seconds}
    assert params["CheckpointConfig"] == {"S3Uri.$": "$.trial.checkpointS3Uri", "LocalPath": "/opt/ml/checkpoints"}


def test_spot_can_be_switched_off(tmp_path):
    from tests.infra.conftest import synthesize

    synth = synthesize(tmp_path, spotTraining=False, localCloud=True)
    params = _states(state_machine_definition(synth.pipeline, "TrainingStateMachine"))["Train"]["Parameters"]
    assert "EnableManagedSpotTraining" not in params and "CheckpointConfig" not in params
    assert params["StoppingCondition"] == {"MaxRuntimeInSeconds": synth.config.max_runtime_seconds}


def test_training_retries_transient_errors_and_catches_the_rest(training):
    trial = training["States"]["TrainTrials"]["ItemProcessor"]["States"]
    (retry,) = trial["Train"]["Retry"]
    assert "SageMaker.ResourceLimitExceeded" in retry["ErrorEquals"]
    assert "SageMaker.ThrottlingException" in retry["ErrorEquals"]
    assert retry["BackoffRate"] == 2 and retry["MaxAttempts"] >= 3 and retry["JitterStrategy"] == "FULL"
    (catch,) = trial["Train"]["Catch"]
    assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotTrained"}
    # Both paths end in the same recorder, whose output is the trial's result.
    assert trial["NotTrained"]["Next"] == trial["Trained"]["Next"] == "RecordTraining"
    assert trial["RecordTraining"]["OutputPath"] == "$.Payload"


def test_preprocessing_failure_is_recorded_then_fails_the_execution(training):
    (catch,) = training["States"]["Preprocess"]["Catch"]
    record = training["States"][catch["Next"]]
    assert record["Parameters"]["Payload"]["status"] == "Failed"
    assert training["States"][record["Next"]]["Type"] == "Fail"


def test_cleanup_calls_the_function_until_done(cleanup):
    assert state_order(cleanup) == ["DeleteRecords", "Done?"]
    choice = cleanup["States"]["Done?"]
    assert choice["Choices"] == [{"Variable": "$.done", "BooleanEquals": True, "Next": "Deleted"}]
    assert choice["Default"] == "DeleteRecords"
    assert cleanup["States"]["DeleteRecords"]["Parameters"]["Payload.$"] == "$"


# --- Every SageMaker task's Parameters is a valid request for the SageMaker API --------------------

def _resolve_path(path: str, data):
    if path == "$":
        return data
    value = data
    for part in path.removeprefix("$.").split("."):
        value = value[part]
    return value


FORMAT = re.compile(r"States\.Format\('(?P<template>[^']*)', (?P<path>\$[\w.]*)\)")


def _concrete(parameters, data):
    """The request the state sends for `data`: JSONPath and States.Format evaluated."""
    if isinstance(parameters, list):
        return [_concrete(p, data) for p in parameters]
    if not isinstance(parameters, dict):
        return parameters
    request = {}
    for key, value in parameters.items():
        if key.endswith(".$"):
            match = FORMAT.fullmatch(value)
            request[key[:-2]] = (match["template"].replace("{}", _resolve_path(match["path"], data))
                                 if match else _resolve_path(value, data))
        else:
            request[key] = _concrete(value, data)
    return request


@pytest.mark.parametrize(
    ("state", "operation", "data"),
    [
        ("Preprocess", "CreateProcessingJob", PLAN),
        ("Train", "CreateTrainingJob", MAP_ITEM),
        ("CreateModel", "CreateModel", PLAN),
        ("Transform", "CreateTransformJob", PLAN),
    ],
)
def test_sagemaker_parameters_are_valid_api_requests(training, state, operation, data):
    request = _concrete(_states(training)[state]["Parameters"], data)
    model = botocore.session.get_session().get_service_model("sagemaker").operation_model(operation)
    report = ParamValidator().validate(request, model.input_shape)
    assert not report.has_errors(), report.generate_report()
    if operation == "CreateTrainingJob":
        assert all(isinstance(v, str) for v in request["HyperParameters"].values())
        channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in request["InputDataConfig"]}
        assert channels == {c: f"{PLAN['preprocessing']['outputS3Uri']}{c}/" for c in contract.TRAINING_CHANNELS}
    if operation == "CreateTransformJob":
        assert request["BatchStrategy"] == "MultiRecord"
        assert request["TransformInput"]["SplitType"] == "Line"


def test_no_task_of_the_main_chain_replaces_the_run_plan(training):
    # Each later state reads the plan (names, S3 URIs): a task's result must go beside it or nowhere.
    for name in state_order(training)[1:-1]:
        state = training["States"][name]
        if state["Type"] in ("Task", "Map"):
            assert "OutputPath" not in state, name
            assert "ResultPath" in state, f"{name} would replace the run plan with its result"
            assert state["ResultPath"] is None or state["ResultPath"].startswith("$."), name
