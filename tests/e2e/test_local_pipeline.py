"""End to end on the local cloud: deploy the real stacks, run the training and cleanup state machines."""

import json

import pytest
from botocore.exceptions import ClientError

import contract
from local_cloud.run_logs import describe_failure
from tests.e2e.conftest import E2E_GROUP

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(E2E_GROUP)]  # one deploy per run (conftest.py)

EXPERIMENT = "e2e-digits"
OTHER_EXPERIMENT = "e2e-untouched"
TRIALS = [{"hidden_channels": 4}, {"hidden_channels": 8}, {"hidden_channels": 4, "optimizer": "rmsprop"}]


@pytest.fixture(scope="module")
def execution(deployed):
    described = deployed.run(
        deployed.training,
        {"experimentName": EXPERIMENT, "hyperparameters": {"epochs": 2}, "trials": TRIALS},
        name="e2e-three-trials",
    )
    assert described["status"] == "SUCCEEDED", (
        f"{described['status']}: {described.get('error')}: {(described.get('cause') or '')[:300]}\n"
        + describe_failure(deployed.cloud.run_dir, described["history"])
    )
    return deployed.output(described)


def test_a_trial_with_a_bad_hyperparameter_is_recorded_failed_and_the_run_succeeds(execution):
    by_optimizer = {
        t["hyperparameters"]["optimizer"]: t
        for t in execution["trials"]
        if t["hyperparameters"]["hidden_channels"] == "4"
    }
    failed = by_optimizer["rmsprop"]
    assert failed["status"] == "Failed"
    assert "rmsprop" in failed["failureReason"]
    assert [t["status"] for t in execution["trials"]].count("Completed") == 2


def test_the_best_trial_is_the_most_accurate_completed_one(execution):
    completed = [t for t in execution["trials"] if t["status"] == "Completed"]
    best = max(completed, key=lambda t: t["metrics"]["test:accuracy"])
    assert execution["best"] == {
        "trialName": best["trialName"],
        "metric": "test:accuracy",
        "value": best["metrics"]["test:accuracy"],
    }


def test_the_transform_writes_one_prediction_per_input_record(deployed, execution):
    layout = contract.RunLayout.from_run_uri(execution["transform"]["outputS3Uri"])
    outputs = deployed.keys(layout.transform)
    assert outputs == [layout.transform_output(contract.TRANSFORM_INPUT_FILE)]
    predictions = deployed.s3.get_object(Bucket=deployed.bucket, Key=outputs[0])["Body"].read().decode().splitlines()
    inputs_key = layout.processing_file(contract.TRANSFORM_OUTPUT, contract.TRANSFORM_INPUT_FILE)
    inputs = deployed.s3.get_object(Bucket=deployed.bucket, Key=inputs_key)["Body"].read().decode().splitlines()
    assert len(predictions) == len(inputs) > 0
    first = json.loads(predictions[0])
    assert 0 <= first["label"] <= 9 and len(first["probabilities"]) == 10


def test_experiment_records_are_what_the_notebook_shows(deployed, execution):
    view = deployed.components(EXPERIMENT)
    assert set(view) == {t["trialName"] for t in execution["trials"]}
    preprocessing_names = {components["Preprocessing"]["TrialComponentName"] for components in view.values()}
    assert len(preprocessing_names) == 1  # one preprocessing component, associated with every trial
    # SageMaker's own component of the processing job (ExperimentConfig), with the statistics added.
    (preprocessing,) = {
        components["Preprocessing"]["TrialComponentName"]: components["Preprocessing"] for components in view.values()
    }.values()
    assert preprocessing["TrialComponentName"].endswith(contract.PROCESSING_COMPONENT_SUFFIX)
    assert preprocessing["Source"]["SourceType"] == "SageMakerProcessingJob"
    assert "normalization_mean" in preprocessing["Parameters"]
    assert execution["unrecorded"] == []
    for trial in execution["trials"]:
        training = view[trial["trialName"]]["Training"]
        assert training["TrialComponentName"] == trial["trainingJobName"] + "-aws-training-job"
        assert training["Source"]["SourceType"] == "SageMakerTrainingJob"
        assert training["Status"]["PrimaryStatus"] == trial["status"]
        # A job's numeric hyperparameters are numbers in its component, as SageMaker records them.
        assert training["Parameters"]["hidden_channels"]["NumberValue"] in (4.0, 8.0)
        metrics = {m["MetricName"]: m["Last"] for m in training.get("Metrics", [])}
        if trial["status"] == "Completed":
            assert metrics["test:accuracy"] == pytest.approx(trial["metrics"]["test:accuracy"])
            assert training["OutputArtifacts"]["SageMaker.ModelArtifact"]["Value"] == trial["modelArtifact"]
            assert set(training["InputArtifacts"]) >= set(contract.TRAINING_CHANNELS)
        else:
            assert "rmsprop" in training["Status"]["Message"]
    transform = view[execution["best"]["trialName"]]["Transform"]
    assert transform["TrialComponentName"] == execution["transform"]["jobName"] + contract.TRANSFORM_COMPONENT_SUFFIX
    assert transform["Source"]["SourceType"] == "SageMakerTransformJob"
    model = transform["Parameters"][contract.SAGEMAKER_MODEL_DATA_PARAMETER]["StringValue"]
    assert model == {t["trialName"]: t for t in execution["trials"]}[execution["best"]["trialName"]]["modelArtifact"]
    assert all("Transform" not in view[t] for t in view if t != execution["best"]["trialName"])


def test_cleanup_removes_that_experiment_and_leaves_another_untouched(deployed, execution):
    sagemaker = deployed.sagemaker
    sagemaker.create_experiment(ExperimentName=OTHER_EXPERIMENT)
    sagemaker.create_trial(TrialName="untouched-trial", ExperimentName=OTHER_EXPERIMENT)
    sagemaker.create_trial_component(TrialComponentName="untouched-component", DisplayName="Training")
    sagemaker.associate_trial_component(TrialComponentName="untouched-component", TrialName="untouched-trial")
    component_names = [
        c["TrialComponentName"] for components in deployed.components(EXPERIMENT).values() for c in components.values()
    ]

    described = deployed.run(deployed.cleanup, {"experimentName": EXPERIMENT}, name="e2e-cleanup")

    assert described["status"] == "SUCCEEDED", describe_failure(deployed.cloud.run_dir, described["history"])
    with pytest.raises(ClientError, match="ResourceNotFound"):
        sagemaker.describe_experiment(ExperimentName=EXPERIMENT)
    for trial in execution["trials"]:
        with pytest.raises(ClientError, match="ResourceNotFound"):
            sagemaker.describe_trial(TrialName=trial["trialName"])
    for name in set(component_names):
        with pytest.raises(ClientError, match="ResourceNotFound"):
            sagemaker.describe_trial_component(TrialComponentName=name)
    untouched = deployed.components(OTHER_EXPERIMENT)
    assert {
        trial: {name: c["TrialComponentName"] for name, c in components.items()}
        for trial, components in untouched.items()
    } == {"untouched-trial": {"Training": "untouched-component"}}
    assert sagemaker.describe_experiment(ExperimentName=OTHER_EXPERIMENT)["ExperimentName"] == OTHER_EXPERIMENT


def test_invalid_input_fails_at_validation_and_creates_nothing(deployed):
    objects_before = set(deployed.keys(contract.RUNS_PREFIX))
    experiments_before = deployed.sagemaker.list_experiments()["ExperimentSummaries"]

    described = deployed.run(deployed.training, {"experimentName": "e2e-invalid", "trials": []}, name="e2e-invalid")

    assert described["status"] == "FAILED"
    assert described["error"] == "InvalidExecutionInput"
    assert "trials" in described["cause"]
    failed_states = [
        e["stateExitedEventDetails"]["name"] for e in described["history"] if e["type"].endswith("StateExited")
    ]
    assert failed_states == []  # it failed inside its first state, ValidateInput
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in described["history"] if e["type"].endswith("StateEntered")
    ]
    assert entered == ["ValidateInput"]
    assert set(deployed.keys(contract.RUNS_PREFIX)) == objects_before
    assert deployed.sagemaker.list_experiments()["ExperimentSummaries"] == experiments_before
    assert not [
        j
        for j in deployed.sagemaker.list_training_jobs(MaxResults=100)["TrainingJobSummaries"]
        if j["TrainingJobName"].startswith("e2e-invalid")
    ]


def test_a_trial_that_fails_on_capacity_is_recorded_failed_and_the_others_carry_the_run(deployed):
    from contract import names
    from local_cloud.sagemaker.faults import CAPACITY_ERROR, inject_capacity_fault

    experiment, execution_name = "e2e-capacity", "e2e-capacity-fault"
    run = names.run_id(experiment, execution_name)
    faulted = names.training_job_name(experiment, run, 2)
    inject_capacity_fault(deployed.cloud.run_dir, faulted)

    described = deployed.run(
        deployed.training,
        {"experimentName": experiment, "hyperparameters": {"epochs": 1}, "trials": [{"hidden_channels": 4}] * 2},
        name=execution_name,
    )

    assert described["status"] == "SUCCEEDED", describe_failure(deployed.cloud.run_dir, described["history"])
    trials = {t["trainingJobName"]: t for t in deployed.output(described)["trials"]}
    assert trials[faulted]["status"] == "Failed" and trials[faulted]["failureReason"] == CAPACITY_ERROR
    (other,) = set(trials) - {faulted}
    assert trials[other]["status"] == "Completed"
    job = deployed.sagemaker.describe_training_job(TrainingJobName=faulted)
    assert job["TrainingJobStatus"] == "Failed" and job["FailureReason"] == CAPACITY_ERROR
    component = deployed.components(experiment)[trials[faulted]["trialName"]]["Training"]
    assert component["Status"] == {
        "PrimaryStatus": "Failed",
        "Message": f"Status: Failed, exit message: null, failure reason: {CAPACITY_ERROR}",
    }
