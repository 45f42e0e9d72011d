"""`compare` and `lineage` read what the project's recording Lambdas (and SageMaker) actually write.

The recording functions run in the state machine's order on one run plan; SageMaker's own record
of each training job comes from the emulator's backend, as in the local cloud.
"""

from __future__ import annotations

import json
import re

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
from lambdas.validate_input.plan import plan_run
from local_cloud import experiments
from tests.cli import fake_cloud

ACCURACY = {"2": 93.5, "5": 97.25, "10": 96.0}  # hidden_channels -> test:accuracy; "32" fails in training


class LambdaContext:
    function_name = "recorder"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{fake_cloud.REGION}:{fake_cloud.ACCOUNT}:function:recorder"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@pytest.fixture
def run(deployed, monkeypatch) -> dict:
    """One execution's records, written by the Lambdas; returns the run plan and the best trial."""
    monkeypatch.setenv("BUCKET_NAME", fake_cloud.BUCKET)
    monkeypatch.setenv("MAX_TRIALS", "20")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "tests")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    context = LambdaContext()
    plan = schema.dump(
        plan_run(
            {
                "experimentName": "digits",
                "hyperparameters": {"epochs": 2},
                "trials": [{"hidden_channels": h} for h in (2, 5, 10, 32)],
            },
            execution_name="digits-20261129-020000",
            bucket_name=fake_cloud.BUCKET,
            max_trials=20,
        )
    )
    preprocessed = plan["preprocessing"]["outputS3Uri"]
    key = preprocessed.removeprefix(f"s3://{fake_cloud.BUCKET}/") + f"{contract.STATS_OUTPUT}/{contract.STATS_FILE}"
    boto3.client("s3", region_name=fake_cloud.REGION).put_object(
        Bucket=fake_cloud.BUCKET, Key=key, Body=json.dumps({"normalization_mean": 0.1307, "normalization_std": 0.3081})
    )
    record_experiment.handler(plan, context)
    record_preprocessing.handler({"plan": plan, "status": "Completed", "error": {}}, context)

    backend = experiments.backend_for(fake_cloud.ACCOUNT, fake_cloud.REGION)
    outcomes = []
    for trial in plan["trials"]:
        record_trial.handler(
            {
                "experimentName": "digits",
                "trial": trial,
                "preprocessingTrialComponentName": plan["preprocessing"]["trialComponentName"],
            },
            context,
        )
        job, hidden = trial["trainingJobName"], trial["variant"]["hidden_channels"]
        accuracy = ACCURACY.get(hidden)
        model = f"{trial['outputS3Uri']}{job}/output/model.tar.gz" if accuracy else None
        reason = None if accuracy else "AlgorithmError: out of memory"
        backend.record_training_job(  # what SageMaker records for a job with ExperimentConfig
            training_job_name=job,
            training_job_arn=f"arn:aws:sagemaker:{fake_cloud.REGION}:{fake_cloud.ACCOUNT}:training-job/{job}",
            experiment_config={
                "ExperimentName": "digits",
                "TrialName": trial["trialName"],
                "TrialComponentDisplayName": contract.TRAINING_DISPLAY_NAME,
            },
            status="Completed" if accuracy else "Failed",
            hyperparameters=trial["hyperparameters"],
            input_artifacts={channel: f"{preprocessed}{channel}/" for channel in contract.TRAINING_CHANNELS},
            model_artifact=model,
            final_metrics={"test:accuracy": accuracy} if accuracy else None,
            failure_reason=reason,
        )
        if accuracy:
            training, error = (
                {
                    "TrainingJobStatus": "Completed",
                    "ModelArtifacts": {"S3ModelArtifacts": model},
                    "FinalMetricDataList": [{"MetricName": "test:accuracy", "Value": accuracy}],
                },
                {},
            )
        else:
            training, error = (
                {},
                {
                    "Error": "States.TaskFailed",
                    "Cause": json.dumps(
                        {"TrainingJobName": job, "TrainingJobStatus": "Failed", "FailureReason": reason}
                    ),
                },
            )
        outcomes.append(
            record_training.handler(
                {"experimentName": "digits", "trial": trial, "training": training, "error": error}, context
            )
        )
    best = select_best.handler({"trials": outcomes, "objective": plan["objective"]}, context)
    record_transform.handler(
        {
            "experimentName": "digits",
            "best": best,
            "modelName": plan["model"]["modelName"],
            "transformJobName": plan["transform"]["jobName"],
            "inputS3Uri": plan["transform"]["inputS3Uri"],
            "outputS3Uri": plan["transform"]["outputS3Uri"],
            "datasetS3Uri": plan["dataset"]["s3Uri"],
        },
        context,
    )
    return {"plan": plan, "best": best}


def test_compare_shows_the_lambdas_records_best_first(run, run_cli, tmp_path):
    plan = run["plan"]
    trial_of = {t["variant"]["hidden_channels"]: t["trialName"] for t in plan["trials"]}

    result = run_cli("compare", "digits", "--json", str(tmp_path / "t.json"))

    assert result.exit_code == 0, result.output
    order = re.findall(r"digits-\w+-trial-\d+", result.stdout)
    assert order == [trial_of[h] for h in ("5", "10", "2", "32")]
    rows = json.loads((tmp_path / "t.json").read_text())["trials"]
    assert [(r["parameters"]["hidden_channels"], r["metrics"].get("test:accuracy"), r["status"]) for r in rows] == [
        (5, 97.25, "Completed"),
        (10, 96.0, "Completed"),
        (2, 93.5, "Completed"),
        (32, None, "Failed"),
    ]
    assert rows[0]["training_job"] == run["best"]["trainingJobName"]
    assert rows[-1]["failure_reason"] == "AlgorithmError: out of memory"


def test_lineage_follows_the_lambdas_artifacts_from_dataset_to_predictions(run, run_cli):
    plan, best = run["plan"], run["best"]

    result = run_cli("lineage", best["trialName"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    chain = [
        f"dataset {plan['dataset']['s3Uri']}",
        "Preprocessing",
        "train ",
        f"training job {best['trainingJobName']}",
        contract.SAGEMAKER_MODEL_ARTIFACT,
        "Transform",
        f"predictions {plan['transform']['outputS3Uri']}",
    ]
    position, depth = -1, -1
    for label in chain:
        found = next(i for i in range(position + 1, len(lines)) if label in lines[i])
        assert lines[found].index(label) > depth, f"{label!r} is not under the previous step:\n{result.stdout}"
        position, depth = found, lines[found].index(label)
