"""Executions of the synthesized training state machine that meet trouble: a throttled Lambda, a record
state that keeps failing, a training job name already in use; and SageMaker's own components of the
processing and transform jobs, from the job to the cleanup."""

from __future__ import annotations

import json

import boto3
import pytest
from moto.sagemaker.models import sagemaker_backends

import contract
from contract import names, states
from local_cloud.sagemaker import moto_jobs
from local_cloud.sagemaker.job_run import JobRun, now
from ops import failure_locations
from ops.execution_progress import ExecutionProgress
from tests.cli import cloud

INPUT = {"experimentName": cloud.EXPERIMENT, "trials": [{"hidden_channels": 5}, {"hidden_channels": 20}]}


def _history(description: dict) -> list[dict]:
    sfn = boto3.client("stepfunctions", region_name=cloud.REGION)
    return sfn.get_execution_history(executionArn=description["executionArn"], maxResults=1000)["events"]


def _job_names(execution: str) -> tuple[str, list[str]]:
    """(the run id, the training job names) an execution of INPUT under this name gets."""
    run = names.run_id(cloud.EXPERIMENT, execution)
    return run, [names.training_job_name(cloud.EXPERIMENT, run, i) for i in (1, 2)]


def test_a_throttled_lambda_is_retried_and_the_execution_succeeds(deployed, aws, jobs):
    # Lambda refuses the first two invokes of the trial recorder (past its concurrency).
    aws.throttle_lambda("RecordTrial", 2)

    description = cloud.run_training(deployed, INPUT)

    assert description["status"] == "SUCCEEDED", description
    # Both refusals were met (the trials run as Distributed Map children, whose histories the local
    # cloud does not keep; README) and retried: a refusal that reached the Catch would be unrecorded.
    assert not aws.throttled("RecordTrial")
    output = cloud.output_with_outcomes(description)
    assert output["unrecorded"] == []
    assert [t["status"] for t in output["trials"]] == ["Completed", "Completed"]


def test_a_record_state_that_keeps_failing_loses_no_outcome_and_the_output_names_it(deployed, lambdas):
    run, _ = _job_names("unrecorded-1")
    trial = names.trial_name(cloud.EXPERIMENT, run, 2)  # hidden_channels 20: the best trial
    lambdas.failures[contract.functions.RECORD_TRAINING.name] = (trial, cloud.access_denied("AssociateTrialComponent"))

    description = cloud.run_training(deployed, INPUT, name="unrecorded-1")

    assert description["status"] == "SUCCEEDED", description
    output = cloud.output_with_outcomes(description)
    by_trial = {t["trialName"]: t for t in output["trials"]}
    # The outcome is the training job's, recorded or not; the best trial is still chosen and transformed.
    assert by_trial[trial]["status"] == "Completed"
    assert by_trial[trial]["metrics"]["test:accuracy"] == cloud.ACCURACY["20"]
    assert output["best"]["trialName"] == trial and output["transform"]["jobName"]
    (unrecorded,) = output["unrecorded"]
    assert unrecorded["state"] == states.RECORD_TRAINING and unrecorded["trialName"] == trial
    assert unrecorded["error"] == "ClientError" and "sagemaker:AssociateTrialComponent" in unrecorded["cause"]


def _existing_training_job(job: str, *, status: str, accuracy: float | None = None) -> None:
    """A training job of this name already in SageMaker: what a first CreateTrainingJob left running
    when its answer was lost (a timeout, a 5xx) and Step Functions retried."""
    created = now()
    extra = (
        {
            "ModelArtifacts": {"S3ModelArtifacts": f"s3://{cloud.BUCKET}/adopted/{job}/model.tar.gz"},
            "FinalMetricDataList": [{"MetricName": "test:accuracy", "Value": accuracy, "Timestamp": created}],
        }
        if status == "Completed"
        else {"FailureReason": "AlgorithmError: the adopted job failed"}
    )
    _existing_job("training", job, status=status, created=created, **extra)


@pytest.mark.parametrize("status", ["Completed", "Failed"])
def test_a_training_job_whose_name_is_in_use_is_adopted(deployed, jobs, status):
    _, (first, second) = _job_names(f"adopt-{status}")
    _existing_training_job(first, status=status, accuracy=99.5)

    description = cloud.run_training(deployed, INPUT, name=f"adopt-{status}")

    assert description["status"] == "SUCCEEDED", description
    trials = {t["trainingJobName"]: t for t in cloud.output_with_outcomes(description)["trials"]}
    # The existing job was not started again: its outcome is the trial's.
    assert ("training", first) not in jobs.jobs and ("training", second) in jobs.jobs
    if status == "Completed":
        assert trials[first]["status"] == "Completed" and trials[first]["metrics"] == {"test:accuracy": 99.5}
        assert cloud.output_with_outcomes(description)["best"]["trialName"] == trials[first]["trialName"]
    else:
        assert trials[first]["status"] == "Failed"
        assert trials[first]["failureReason"] == "AlgorithmError: the adopted job failed"
    # `watch` counts the adopted job's outcome, as it counts a job Train ran.
    progress = ExecutionProgress()
    progress.apply_output(json.loads(description["output"]))
    assert (progress.completed, progress.failed) == ((2, 0) if status == "Completed" else (1, 1))


def test_the_processing_and_transform_jobs_record_their_own_components_and_cleanup_removes_them(recorded, run_cli):
    sm = boto3.client("sagemaker", region_name=cloud.REGION)
    processing = recorded.plan["preprocessing"]["jobName"] + contract.PROCESSING_COMPONENT_SUFFIX
    transform = recorded.plan["transform"]["jobName"] + contract.TRANSFORM_COMPONENT_SUFFIX
    pre = sm.describe_trial_component(TrialComponentName=processing)
    assert pre["Source"]["SourceType"] == "SageMakerProcessingJob" and pre["DisplayName"] == "Preprocessing"
    assert pre["Parameters"]["normalization_mean"] == {"NumberValue": cloud.STATS["normalization_mean"]}
    post = sm.describe_trial_component(TrialComponentName=transform)
    assert post["Source"]["SourceType"] == "SageMakerTransformJob" and post["DisplayName"] == "Transform"
    holding = {
        name: {
            t["TrialName"]
            for t in sm.list_trials(ExperimentName=cloud.EXPERIMENT, TrialComponentName=name)["TrialSummaries"]
        }
        for name in (processing, transform)
    }
    assert holding[processing] == {t["trialName"] for t in cloud.sweep_trials(recorded.description)}  # every trial
    assert holding[transform] == {recorded.output["best"]["trialName"]}  # the best trial only
    components = {c["TrialComponentName"] for c in sm.list_trial_components()["TrialComponentSummaries"]}
    assert not any(c.endswith("-component") or c.endswith("-preprocessing") for c in components)  # no hand-made ones

    result = run_cli("cleanup", cloud.EXPERIMENT, "--yes", "--interval", "0.05")

    assert result.exit_code == 0, result.output
    for name in (processing, transform):
        with pytest.raises(sm.exceptions.ResourceNotFound):
            sm.describe_trial_component(TrialComponentName=name)


class _RunningThenCompleted(moto_jobs.JobRecord):
    """A job that is still InProgress at its first Describe and Completed at the next ones."""

    def __init__(self, kind: str, description: dict) -> None:
        super().__init__(kind, description)
        self.described = 0

    @property
    def response_object(self) -> dict:
        self.described += 1
        return {**self.description, "TrainingJobStatus": "InProgress" if self.described == 1 else "Completed"}


def test_an_adopted_job_still_running_is_waited_for(deployed, jobs):
    _, (first, _) = _job_names("adopt-running")
    _existing_training_job(first, status="Completed", accuracy=98.5)
    backend = sagemaker_backends[cloud.ACCOUNT][cloud.REGION]
    running = _RunningThenCompleted("training", backend.training_jobs[first].description)
    backend.training_jobs[first] = running

    description = cloud.run_training(deployed, INPUT, name="adopt-running")

    assert description["status"] == "SUCCEEDED", description
    # Described InProgress, waited for, described Completed (DescribeTrainingJob, WaitForAdoptedJob).
    assert running.described == 2
    (trial,) = [t for t in cloud.output_with_outcomes(description)["trials"] if t["trainingJobName"] == first]
    assert trial["status"] == "Completed" and trial["metrics"] == {"test:accuracy": 98.5}


def _existing_job(kind: str, job: str, *, status: str, created=None, **extra) -> None:
    """A job of this kind and name already in SageMaker (a first Create whose answer was lost):
    Completed, or Failed with a reason (`extra`: more Describe fields)."""
    title = kind.capitalize()
    created = created or now()
    description = {
        f"{title}JobName": job,
        f"{title}JobArn": f"arn:aws:sagemaker:{cloud.REGION}:{cloud.ACCOUNT}:{kind}-job/{job}",
        f"{title}JobStatus": status,
        "CreationTime": created,
        "LastModifiedTime": created,
        f"{title}EndTime": created,
    }
    if status == "Failed":
        description["FailureReason"] = f"ClientError: the adopted {kind} job failed"
    description.update(extra)
    backend = sagemaker_backends[cloud.ACCOUNT][cloud.REGION]
    getattr(backend, f"{kind}_jobs")[job] = moto_jobs.JobRecord(kind, description)


def _entered(description: dict) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in _history(description) if "stateEnteredEventDetails" in e]


def test_a_processing_job_whose_name_is_in_use_is_adopted_and_its_outputs_read(deployed, jobs):
    execution = "adopt-processing"
    run = names.run_id(cloud.EXPERIMENT, execution)
    job = names.preprocessing_job_name(cloud.EXPERIMENT, run)
    _existing_job("processing", job, status="Completed")
    # What the first job wrote: the statistics RecordPreprocessing reads.
    layout = contract.RunLayout(cloud.BUCKET, cloud.EXPERIMENT, execution)
    stats = layout.processing_file(contract.STATS_OUTPUT, contract.STATS_FILE)
    boto3.client("s3", region_name=cloud.REGION).put_object(
        Bucket=cloud.BUCKET, Key=stats, Body=json.dumps(cloud.STATS).encode()
    )

    description = cloud.run_training(deployed, INPUT, name=execution)

    assert description["status"] == "SUCCEEDED", description
    assert states.PROCESSING_ADOPTION.describe in _entered(description)
    # The existing job was not started again; the trials trained on its outputs.
    assert ("processing", job) not in jobs.jobs
    assert [kind for kind, _ in jobs.jobs] == ["training", "training", "transform"]
    assert [t["status"] for t in cloud.output_with_outcomes(description)["trials"]] == ["Completed", "Completed"]


def test_an_adopted_processing_job_that_failed_fails_the_execution_with_its_reason(deployed, jobs):
    execution = "adopt-processing-failed"
    job = names.preprocessing_job_name(cloud.EXPERIMENT, names.run_id(cloud.EXPERIMENT, execution))
    _existing_job("processing", job, status="Failed")

    description = cloud.run_training(deployed, INPUT, name=execution)

    assert description["status"] == "FAILED", description
    assert description["error"] == "PreprocessingFailed"
    assert json.loads(description["cause"])["FailureReason"] == "ClientError: the adopted processing job failed"
    assert states.RECORD_PREPROCESSING_FAILURE in _entered(description)
    assert jobs.jobs == []  # no trial trained


@pytest.mark.parametrize("status", ["Completed", "Failed"])
def test_a_transform_job_whose_name_is_in_use_is_adopted(deployed, jobs, status):
    execution = f"adopt-transform-{status}"
    job = names.transform_job_name(cloud.EXPERIMENT, names.run_id(cloud.EXPERIMENT, execution))
    _existing_job("transform", job, status=status)

    description = cloud.run_training(deployed, INPUT, name=execution)

    assert states.TRANSFORM_ADOPTION.describe in _entered(description)
    assert ("transform", job) not in jobs.jobs
    if status == "Completed":
        assert description["status"] == "SUCCEEDED", description
        assert cloud.output_with_outcomes(description)["transform"]["jobName"] == job
    else:
        assert description["status"] == "FAILED", description
        assert description["error"] == "TransformFailed"
        assert json.loads(description["cause"])["FailureReason"] == "ClientError: the adopted transform job failed"


def test_a_transform_that_fails_fails_the_execution_with_its_own_error(deployed, jobs, monkeypatch):
    instant = cloud.InstantJobs.__call__

    def failing_transform(self, context, kind, request, **kwargs):
        if kind != "transform":
            return instant(self, context, kind, request, **kwargs)
        with JobRun(context, kind, request["TransformJobName"], request) as run:
            run.fail("ClientError: the model server did not start")
        return run.finish()

    monkeypatch.setattr(cloud.InstantJobs, "__call__", failing_transform)
    description = cloud.run_training(deployed, INPUT, name="transform-fails")

    assert description["status"] == "FAILED", description
    # A named error; the cause is the transform's own (the job's Describe).
    assert description["error"] == "TransformFailed"
    assert json.loads(description["cause"])["FailureReason"] == "ClientError: the model server did not start"
    entered = _entered(description)
    assert entered[-1] == states.TRANSFORM_FAILED and states.TRANSFORM_ADOPTION.describe not in entered
    # `watch` points at the transform job's logs: the Fail state's cause is the transform task's.
    located = failure_locations.locate(_history(description), state=entered[-1], cause=description["cause"])
    assert located.job == (
        "TransformJobName",
        names.transform_job_name(cloud.EXPERIMENT, names.run_id(cloud.EXPERIMENT, "transform-fails")),
    )
