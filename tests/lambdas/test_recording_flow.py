"""The recording functions, in the state machine's order, leave the notebook's records."""

from __future__ import annotations

import json

import boto3
import pytest

import contract
from contract import schema
from lambdas.record_experiment import handler as record_experiment
from lambdas.record_preprocessing import handler as record_preprocessing
from lambdas.record_training import handler as record_training
from lambdas.record_transform import handler as record_transform
from lambdas.record_trial import handler as record_trial
from lambdas.select_best import handler as select_best
from lambdas.select_best.selection import NoCompletedTrial
from lambdas.validate_input.plan import plan_run
from tests.lambdas.conftest import ACCOUNT, BUCKET, REGION

STATS = {
    "normalization_mean": 0.1307,
    "normalization_std": 0.3081,
    "train_count": 1437,
    "test_count": 360,
    "image_height": 8,
    "image_width": 8,
    "num_classes": 10,
}
INPUT = {
    "experimentName": "mnist-cnn",
    "hyperparameters": {"epochs": 2, "optimizer": "sgd"},
    "trials": [
        {"hidden_channels": 2},
        {"hidden_channels": 5},
        {"hidden_channels": 10, "optimizer": "rmsprop"},
        {"hidden_channels": 20},
    ],
}
ACCURACY = {0: 91.5, 1: 96.25}


def sagemaker_runs_training(backend, trial: dict, *, completed: bool) -> dict:
    """What SageMaker (or the local cloud's job runner) does for a job with ExperimentConfig, and
    the training task's `.sync` result."""
    job = trial["trainingJobName"]
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{job}"
    model = f"{trial['outputS3Uri']}{job}/output/model.tar.gz"
    metrics = {"test:accuracy": ACCURACY[int(trial["trialName"][-1]) - 1], "test:loss": 0.2} if completed else {}
    reason = None if completed else "AlgorithmError: optimizer 'rmsprop' is not one of sgd, adam"
    backend.record_training_job(
        training_job_name=job,
        training_job_arn=arn,
        experiment_config={
            "ExperimentName": "mnist-cnn",
            "TrialName": trial["trialName"],
            "TrialComponentDisplayName": "Training",
        },
        status="Completed" if completed else "Failed",
        hyperparameters=trial["hyperparameters"],
        input_artifacts={"train": "s3://x/train/", "test": "s3://x/test/"},
        model_artifact=model if completed else None,
        final_metrics=metrics,
        failure_reason=reason,
    )
    result = {
        "TrainingJobStatus": "Completed" if completed else "Failed",
        "FinalMetricDataList": [{"MetricName": k, "Value": v, "Timestamp": 0} for k, v in metrics.items()],
        "ModelArtifacts": {"S3ModelArtifacts": model} if completed else {},
    }
    if reason:
        result["FailureReason"] = reason
    return result


def test_the_whole_recording_flow_yields_the_notebooks_records(backend, sm, context):
    plan = schema.dump(plan_run(INPUT, execution_name="exec-1", bucket_name=BUCKET, max_trials=10))
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=BUCKET, Key=f"runs/mnist-cnn/exec-1/preprocessed/stats/{contract.STATS_FILE}", Body=json.dumps(STATS)
    )

    recorded = record_experiment.handler(plan, context)
    assert recorded == {
        "experimentName": "mnist-cnn",
        "trialComponentName": plan["preprocessing"]["trialComponentName"],
    }
    assert record_experiment.handler(plan, context) == recorded  # a retried state succeeds
    preprocessing = plan["preprocessing"]["trialComponentName"]
    assert sm.describe_trial_component(TrialComponentName=preprocessing)["Status"]["PrimaryStatus"] == "InProgress"

    assert record_preprocessing.handler({"plan": plan, "status": "Completed", "error": {}}, context) == {
        "trialComponentName": preprocessing,
        "status": "Completed",
    }

    outcomes = []
    for i, trial in enumerate(plan["trials"]):
        event = {"experimentName": "mnist-cnn", "trial": trial, "preprocessingTrialComponentName": preprocessing}
        assert record_trial.handler(event, context) == {"trialName": trial["trialName"]}
        assert record_trial.handler(event, context) == {"trialName": trial["trialName"]}  # retried
        if i < 2:  # trained: SageMaker made the component
            training, error = sagemaker_runs_training(backend, trial, completed=True), {}
        elif i == 2:  # rmsprop: the job started and failed in training
            result = sagemaker_runs_training(backend, trial, completed=False)
            training, error = {}, {"Error": "SageMaker.AmazonSageMakerException", "Cause": json.dumps(result)}
        else:  # refused before SageMaker made a component
            training, error = {}, {"Error": "SageMaker.ResourceLimitExceeded", "Cause": "account quota for ml.m5.large"}
        event = {"experimentName": "mnist-cnn", "trial": trial, "training": training, "error": error}
        outcome = record_training.handler(event, context)
        assert record_training.handler(event, context) == outcome  # retried
        outcomes.append(outcome)

    assert [o["status"] for o in outcomes] == ["Completed", "Completed", "Failed", "Failed"]
    assert outcomes[1]["metrics"] == {"test:accuracy": 96.25, "test:loss": 0.2}
    assert outcomes[2]["failureReason"] == "AlgorithmError: optimizer 'rmsprop' is not one of sgd, adam"
    assert outcomes[3]["failureReason"] == "SageMaker.ResourceLimitExceeded: account quota for ml.m5.large"
    assert outcomes[3]["modelArtifact"] is None and outcomes[0]["modelArtifact"].endswith("model.tar.gz")

    best = select_best.handler({"trials": outcomes, "objective": plan["objective"]}, context)
    assert best["trialName"] == plan["trials"][1]["trialName"] and best["value"] == 96.25

    transform_event = {
        "experimentName": "mnist-cnn",
        "best": best,
        "modelName": plan["model"]["modelName"],
        "transformJobName": plan["transform"]["jobName"],
        "inputS3Uri": plan["transform"]["inputS3Uri"],
        "outputS3Uri": plan["transform"]["outputS3Uri"],
        "datasetS3Uri": plan["dataset"]["s3Uri"],
    }
    transform = record_transform.handler(transform_event, context)
    assert record_transform.handler(transform_event, context) == transform  # retried

    # The records, as the notebook's Studio view shows them: experiment > trials > components.
    trials = sm.list_trials(ExperimentName="mnist-cnn")["TrialSummaries"]
    assert sorted(t["TrialName"] for t in trials) == sorted(t["trialName"] for t in plan["trials"])
    by_trial = {
        t["trialName"]: sorted(
            c["DisplayName"] for c in sm.list_trial_components(TrialName=t["trialName"])["TrialComponentSummaries"]
        )
        for t in plan["trials"]
    }
    assert by_trial == {
        plan["trials"][0]["trialName"]: ["Preprocessing", "Training"],
        plan["trials"][1]["trialName"]: ["Preprocessing", "Training", "Transform"],
        plan["trials"][2]["trialName"]: ["Preprocessing", "Training"],
        plan["trials"][3]["trialName"]: ["Preprocessing", "Training"],
    }
    pre = sm.describe_trial_component(TrialComponentName=preprocessing)
    assert pre["Status"]["PrimaryStatus"] == "Completed"
    assert pre["Parameters"]["normalization_mean"] == {"NumberValue": 0.1307}
    assert pre["Parameters"]["train_count"] == {"NumberValue": 1437.0}
    assert pre["InputArtifacts"]["dataset"]["Value"] == plan["dataset"]["s3Uri"]
    assert {k: v["Value"] for k, v in pre["OutputArtifacts"].items()} == {
        name: f"{plan['preprocessing']['outputS3Uri']}{name}/" for name in contract.PROCESSING_OUTPUTS
    }

    trained = sm.describe_trial_component(TrialComponentName=plan["trials"][1]["trainingJobName"] + "-aws-training-job")
    assert trained["Parameters"]["hidden_channels"] == {"StringValue": "5"}
    assert {m["MetricName"]: m["Last"] for m in trained["Metrics"]}["test:accuracy"] == 96.25
    assert trained["OutputArtifacts"]["SageMaker.ModelArtifact"]["Value"] == best["modelArtifact"]

    refused = sm.describe_trial_component(TrialComponentName=plan["trials"][3]["trainingJobName"] + "-aws-training-job")
    assert refused["DisplayName"] == "Training"
    assert refused["Status"] == {"PrimaryStatus": "Failed", "Message": outcomes[3]["failureReason"]}
    assert refused["Parameters"]["hidden_channels"] == {"StringValue": "20"}
    failed = sm.describe_trial_component(TrialComponentName=plan["trials"][2]["trainingJobName"] + "-aws-training-job")
    assert failed["Status"]["PrimaryStatus"] == "Failed"

    lineage = sm.describe_trial_component(TrialComponentName=transform["trialComponentName"])
    assert lineage["DisplayName"] == "Transform" and lineage["Status"]["PrimaryStatus"] == "Completed"
    assert {k: v["Value"] for k, v in lineage["InputArtifacts"].items()} == {
        "dataset": plan["dataset"]["s3Uri"],
        "model": best["modelArtifact"],
        "transform-input": plan["transform"]["inputS3Uri"],
    }
    assert lineage["OutputArtifacts"]["predictions"]["Value"] == plan["transform"]["outputS3Uri"]


def test_a_failed_preprocessing_is_recorded_with_its_cause(backend, sm, context):
    plan = schema.dump(plan_run({"trials": [{}]}, execution_name="exec-2", bucket_name=BUCKET, max_trials=10))
    record_experiment.handler(plan, context)
    cause = json.dumps({"FailureReason": "ClientError: no IDX files under /opt/ml/processing/input/raw"})
    out = record_preprocessing.handler(
        {"plan": plan, "status": "Failed", "error": {"Error": "States.TaskFailed", "Cause": cause}}, context
    )
    assert out["status"] == "Failed"
    status = sm.describe_trial_component(TrialComponentName=plan["preprocessing"]["trialComponentName"])["Status"]
    assert status == {
        "PrimaryStatus": "Failed",
        "Message": "ClientError: no IDX files under /opt/ml/processing/input/raw",
    }


def test_select_best_with_no_completed_trial_lists_each_status(context):
    trials: list[dict] = [
        {
            "trialName": "t1",
            "trainingJobName": "j1",
            "status": "Failed",
            "hyperparameters": {},
            "metrics": {},
            "failureReason": "bad optimizer",
            "modelArtifact": None,
        },
        {
            "trialName": "t2",
            "trainingJobName": "j2",
            "status": "Failed",
            "hyperparameters": {},
            "metrics": {},
            "failureReason": "out of memory",
            "modelArtifact": None,
        },
    ]
    with pytest.raises(
        NoCompletedTrial, match="t1 Failed \\(bad optimizer\\); t2 Failed \\(out of memory\\)"
    ) as caught:
        select_best.handler({"trials": trials, "objective": {"metric": "test:accuracy", "goal": "Maximize"}}, context)
    assert type(caught.value).__name__ == "NoCompletedTrial"
