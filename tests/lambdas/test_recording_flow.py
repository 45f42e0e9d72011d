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
from lambdas.record_trial import handler as record_trial
from lambdas.select_best import handler as select_best
from lambdas.select_best.selection import NoCompletedTrial
from lambdas.validate_input.plan import plan_run
from local_cloud.sagemaker.experiment_tracking import JobComponentTracker
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


def sagemaker_runs_job(backend, kind: str, name: str, request: dict, model: dict | None = None) -> None:
    """What SageMaker (or the local cloud) records for a processing or transform job with ExperimentConfig."""
    title = kind.capitalize()
    description = {
        **request,
        f"{title}JobName": name,
        f"{title}JobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}-job/{name}",
        f"{title}JobStatus": "Completed",
    }
    JobComponentTracker(backend).published(kind, description, model)


def planned(raw: dict, execution: str) -> tuple[dict, list[dict]]:
    """The run plan and its trials (JSON), the trials file written as ValidateInput writes it."""
    run = plan_run(raw, execution_name=execution, bucket_name=BUCKET, max_trials=10)
    trials = schema.dump(run.trials)
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=BUCKET, Key=run.plan.trials.key, Body=json.dumps(trials).encode())
    return schema.dump(run.plan), trials


def map_run(plan: dict, results: list[dict]) -> dict:
    """TrainTrials' result: the children's outputs written as the ResultWriter writes them."""
    s3 = boto3.client("s3", region_name=REGION)
    prefix = f"{plan['resultsPrefix']}run-1/"
    children = [{"Status": "SUCCEEDED", "Output": json.dumps(result)} for result in results]
    s3.put_object(Bucket=BUCKET, Key=prefix + "SUCCEEDED_0.json", Body=json.dumps(children).encode())
    manifest = {"ResultFiles": {"SUCCEEDED": [{"Key": prefix + "SUCCEEDED_0.json"}], "FAILED": [], "PENDING": []}}
    s3.put_object(Bucket=BUCKET, Key=prefix + "manifest.json", Body=json.dumps(manifest).encode())
    return {"MapRunArn": "arn:map-run", "ResultWriterDetails": {"Bucket": BUCKET, "Key": prefix + "manifest.json"}}


def select_best_event(plan: dict, results: list[dict]) -> dict:
    """SelectBest's Payload as the state machine builds it."""
    return {
        "experimentName": plan["experimentName"],
        "executionName": plan["executionName"],
        "trials": plan["trials"],
        "results": map_run(plan, results),
        "objective": plan["objective"],
        "outcomesS3Uri": plan["outcomesS3Uri"],
        "preprocessingRecording": {},
    }


def test_the_whole_recording_flow_yields_the_notebooks_records(backend, sm, context):
    plan, trials = planned(INPUT, "exec-1")
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=BUCKET, Key=f"runs/mnist-cnn/exec-1/preprocessed/stats/{contract.STATS_FILE}", Body=json.dumps(STATS)
    )

    recorded = record_experiment.handler(plan, context)
    assert recorded == {"experimentName": "mnist-cnn", "trials": len(trials), "trialsCreated": len(trials)}
    # A retried state succeeds and creates nothing twice.
    assert record_experiment.handler(plan, context) == {**recorded, "trialsCreated": 0}
    preprocessing = plan["preprocessing"]["trialComponentName"]
    assert preprocessing == plan["preprocessing"]["jobName"] + "-aws-processing-job"
    outputs = {name: f"{plan['preprocessing']['outputS3Uri']}{name}/" for name in contract.PROCESSING_OUTPUTS}
    sagemaker_runs_job(
        backend,
        "processing",
        plan["preprocessing"]["jobName"],
        {
            "ExperimentConfig": {
                "ExperimentName": "mnist-cnn",
                "TrialName": plan["preprocessing"]["trialName"],
                "TrialComponentDisplayName": "Preprocessing",
            },
            "ProcessingInputs": [{"InputName": "raw", "S3Input": {"S3Uri": plan["dataset"]["s3Uri"]}}],
            "ProcessingOutputConfig": {
                "Outputs": [{"OutputName": k, "S3Output": {"S3Uri": v}} for k, v in outputs.items()]
            },
        },
    )

    assert record_preprocessing.handler({"plan": plan, "status": "Completed", "error": {}}, context) == {
        "trialComponentName": preprocessing,
        "status": "Completed",
    }

    outcomes, results = [], []
    for i, trial in enumerate(trials):
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
        results.append(
            {
                "trialName": trial["trialName"],
                "trainingJobName": trial["trainingJobName"],
                "training": training,
                "error": error,
                "trialRecording": {"recorded": True},
                "trainingRecording": {"recorded": True},
            }
        )

    assert [o["status"] for o in outcomes] == ["Completed", "Completed", "Failed", "Failed"]
    assert outcomes[1]["metrics"] == {"test:accuracy": 96.25, "test:loss": 0.2}
    assert outcomes[2]["failureReason"] == "AlgorithmError: optimizer 'rmsprop' is not one of sgd, adam"
    assert outcomes[3]["failureReason"] == "SageMaker.ResourceLimitExceeded: account quota for ml.m5.large"
    assert outcomes[3]["modelArtifact"] is None and outcomes[0]["modelArtifact"].endswith("model.tar.gz")

    # SelectBest makes the same outcomes from the iterations' results, and picks the best.
    selection = select_best.handler(select_best_event(plan, results), context)
    s3 = boto3.client("s3", region_name=REGION)
    written = json.loads(s3.get_object(Bucket=BUCKET, Key=plan["outcomesS3Uri"].split("/", 3)[3])["Body"].read())
    assert written["trials"] == outcomes and written["unrecorded"] == [] and written["mlflowUnrecorded"] == []
    assert selection["outcomes"] == {
        "s3Uri": plan["outcomesS3Uri"],
        "trials": 4,
        "completed": 2,
        "failed": 2,
        "unrecorded": 0,
        "mlflowUnrecorded": [],  # tracking off: these functions have no MLFLOW_TRACKING_URI
    }
    assert selection["best"]["trialName"] == trials[1]["trialName"] and selection["best"]["value"] == 96.25

    model = {"PrimaryContainer": {"ModelDataUrl": outcomes[1]["modelArtifact"], "Image": "jobs:1"}}
    sagemaker_runs_job(
        backend,
        "transform",
        plan["transform"]["jobName"],
        {
            "ExperimentConfig": {
                "ExperimentName": "mnist-cnn",
                "TrialName": outcomes[1]["trialName"],
                "TrialComponentDisplayName": "Transform",
            },
            "ModelName": plan["model"]["modelName"],
            "TransformInput": {"DataSource": {"S3DataSource": {"S3Uri": plan["transform"]["inputS3Uri"]}}},
            "TransformOutput": {"S3OutputPath": plan["transform"]["outputS3Uri"]},
        },
        model,
    )

    # The records, as the notebook's Studio view shows them: experiment > trials > components.
    recorded_trials = sm.list_trials(ExperimentName="mnist-cnn")["TrialSummaries"]
    assert sorted(t["TrialName"] for t in recorded_trials) == sorted(t["trialName"] for t in trials)
    by_trial = {
        t["trialName"]: sorted(
            c["DisplayName"] for c in sm.list_trial_components(TrialName=t["trialName"])["TrialComponentSummaries"]
        )
        for t in trials
    }
    assert by_trial == {
        trials[0]["trialName"]: ["Preprocessing", "Training"],
        trials[1]["trialName"]: ["Preprocessing", "Training", "Transform"],
        trials[2]["trialName"]: ["Preprocessing", "Training"],
        trials[3]["trialName"]: ["Preprocessing", "Training"],
    }
    pre = sm.describe_trial_component(TrialComponentName=preprocessing)
    assert pre["Status"]["PrimaryStatus"] == "Completed"
    assert pre["Parameters"]["normalization_mean"] == {"NumberValue": 0.1307}
    assert pre["Parameters"]["train_count"] == {"NumberValue": 1437.0}
    assert pre["InputArtifacts"]["raw"]["Value"] == plan["dataset"]["s3Uri"]
    assert {k: v["Value"] for k, v in pre["OutputArtifacts"].items()} == {
        name: f"{plan['preprocessing']['outputS3Uri']}{name}/" for name in contract.PROCESSING_OUTPUTS
    }

    trained = sm.describe_trial_component(TrialComponentName=trials[1]["trainingJobName"] + "-aws-training-job")
    assert trained["Parameters"]["hidden_channels"] == {"NumberValue": 5.0}
    assert {m["MetricName"]: m["Last"] for m in trained["Metrics"]}["test:accuracy"] == 96.25
    assert trained["OutputArtifacts"]["SageMaker.ModelArtifact"]["Value"] == outcomes[1]["modelArtifact"]

    refused = sm.describe_trial_component(TrialComponentName=trials[3]["trainingJobName"] + "-aws-training-job")
    assert refused["DisplayName"] == "Training"
    assert refused["Status"] == {"PrimaryStatus": "Failed", "Message": outcomes[3]["failureReason"]}
    assert refused["Parameters"]["hidden_channels"] == {"NumberValue": 20.0}  # typed as SageMaker types them
    failed = sm.describe_trial_component(TrialComponentName=trials[2]["trainingJobName"] + "-aws-training-job")
    assert failed["Status"]["PrimaryStatus"] == "Failed"

    transform = sm.describe_trial_component(TrialComponentName=plan["transform"]["jobName"] + "-aws-transform-job")
    assert transform["Source"]["SourceType"] == "SageMakerTransformJob"
    assert (
        transform["Parameters"][contract.SAGEMAKER_MODEL_DATA_PARAMETER]["StringValue"] == outcomes[1]["modelArtifact"]
    )
    assert transform["InputArtifacts"]["SageMaker.TransformInput"]["Value"] == plan["transform"]["inputS3Uri"]
    assert transform["OutputArtifacts"]["SageMaker.TransformOutput"]["Value"] == plan["transform"]["outputS3Uri"]


def test_a_failed_preprocessing_is_recorded_with_its_cause(backend, sm, context):
    plan, _ = planned({"trials": [{}]}, "exec-2")
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


def test_select_best_with_no_completed_trial_lists_each_status(aws, context):
    plan, trials = planned({"trials": [{}, {}]}, "e")
    reasons = ("bad optimizer", "out of memory")
    results = [
        {
            "trialName": trial["trialName"],
            "trainingJobName": trial["trainingJobName"],
            "training": {"TrainingJobStatus": "Failed", "FailureReason": reason},
            "error": {},
        }
        for trial, reason in zip(trials, reasons, strict=True)
    ]
    names = [t["trialName"] for t in trials]
    with pytest.raises(NoCompletedTrial, match=rf"{names[0]} Failed \(bad optimizer\); {names[1]} Failed \(out of"):
        select_best.handler(select_best_event(plan, results), context)
