"""The state machine definitions: order of states, .sync jobs, Map, Retry/Catch (requests: test_sagemaker_requests)."""

from __future__ import annotations

import pytest

from contract import quotas
from tests.infra.templates import state_machine_definition, state_order, walk_states


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
        "ValidateInput",
        "RecordExperiment",
        "Rerun?",
        "Preprocess",
        "RecordPreprocessing",
        "TrainTrials",
        "SelectBest",
        "CreateModel",
        "Transform",
        "RecordTransform",
        "Summarize",
    ]
    trial = training["States"]["TrainTrials"]["ItemProcessor"]
    assert state_order(trial) == ["RecordTrial", "Train", "Trained", "RecordTraining", "TrialResult"]


def test_a_rerun_skips_preprocessing_and_trains_on_the_sweeps_data(training):
    choice = training["States"]["Rerun?"]
    (rule,) = choice["Choices"]
    assert rule["Next"] == "ReusePreprocessing" and choice["Default"] == "Preprocess"
    assert {"Variable": "$.rerunOf", "IsPresent": True} in rule["And"]
    reuse = training["States"]["ReusePreprocessing"]
    assert reuse["Type"] == "Pass" and reuse["Next"] == "TrainTrials"
    # SelectBest reads the preprocessing's recording outcome: a rerun records nothing new.
    assert reuse["Result"] == {"recorded": True} and reuse["ResultPath"] == "$.preprocessingRecording"


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


def test_trials_run_as_a_distributed_map_over_the_trials_file(training, synthesized):
    trials = training["States"]["TrainTrials"]
    assert trials["Type"] == "Map"
    assert trials["MaxConcurrency"] == synthesized.config.trial_concurrency
    assert trials["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    # The items come from the run's trials file and the results go back to the bucket: the state
    # carries pointers, whatever the sweep's size.
    assert trials["ItemReader"]["Resource"].endswith(":states:::s3:getObject")
    assert trials["ItemReader"]["ReaderConfig"] == {"InputType": "JSON"}
    assert trials["ItemReader"]["Parameters"] == {"Bucket.$": "$.trials.bucket", "Key.$": "$.trials.key"}
    assert trials["ResultWriter"]["Resource"].endswith(":states:::s3:putObject")
    assert trials["ResultWriter"]["Parameters"] == {"Bucket.$": "$.trials.bucket", "Prefix.$": "$.resultsPrefix"}
    assert trials["ItemSelector"]["trial.$"] == "$$.Map.Item.Value"
    # A failed trial never fails the sweep: every trial may fail, SelectBest decides.
    assert trials["ToleratedFailureCount"] == quotas.TRIALS_PER_EXPERIMENT
    assert "ItemsPath" not in trials and "ResultSelector" not in trials


def test_training_carries_experiment_config_metrics_and_spot(training, synthesized):
    params = _states(training)["Train"]["Parameters"]
    assert params["ExperimentConfig"] == {
        "ExperimentName.$": "$.experimentName",
        "TrialName.$": "$.trial.trialName",
        "TrialComponentDisplayName": "Training",
    }
    assert params["AlgorithmSpecification"]["MetricDefinitions"] == [
        {"Name": "train:loss", "Regex": "Train Loss: (.*?);"},
        {"Name": "test:loss", "Regex": "Test Average loss: (.*?),"},
        {"Name": "test:accuracy", "Regex": "Test Accuracy: (.*?)%;"},
    ]
    assert params["HyperParameters.$"] == "$.trial.hyperparameters"
    assert params["EnableManagedSpotTraining"] is True
    assert params["StoppingCondition"] == {
        "MaxRuntimeInSeconds": synthesized.config.max_runtime_seconds,
        "MaxWaitTimeInSeconds": synthesized.config.max_wait_seconds,
    }
    assert params["CheckpointConfig"] == {"S3Uri.$": "$.trial.checkpointS3Uri", "LocalPath": "/opt/ml/checkpoints"}


def test_spot_can_be_switched_off(tmp_path):
    from tests.infra.conftest import synthesize

    synth = synthesize(tmp_path, spotTraining=False, localCloud=True)
    params = _states(state_machine_definition(synth.pipeline, "TrainingStateMachine"))["Train"]["Parameters"]
    assert "EnableManagedSpotTraining" not in params and "CheckpointConfig" not in params
    assert params["StoppingCondition"] == {"MaxRuntimeInSeconds": synth.config.max_runtime_seconds}


def _retry_seconds(retrier) -> float:
    """The longest a retrier can wait in all before its error goes on to the Catch: the Step Functions
    defaults (interval 1 s, rate 2.0, 3 attempts), each wait capped at MaxDelaySeconds when given."""
    interval = retrier.get("IntervalSeconds", 1)
    cap = retrier.get("MaxDelaySeconds", float("inf"))
    return sum(min(interval * retrier.get("BackoffRate", 2.0) ** n, cap) for n in range(retrier.get("MaxAttempts", 3)))


def _capacity_retrier(state) -> dict:
    (retrier,) = [r for r in state["Retry"] if "SageMaker.ResourceLimitExceededException" in r["ErrorEquals"]]
    return retrier


def _job_bounds(definition) -> dict[str, int]:
    """Each job state's own stopping bound, read from its request (Transform has none: the config's runtime)."""
    states = _states(definition)
    train = states["Train"]["Parameters"]["StoppingCondition"]
    return {
        "Preprocess": states["Preprocess"]["Parameters"]["StoppingCondition"]["MaxRuntimeInSeconds"],
        "Train": train.get("MaxWaitTimeInSeconds", train["MaxRuntimeInSeconds"]),
    }


def _assert_capacity_retries_outlast_the_jobs(definition, max_runtime_seconds: int) -> None:
    states = _states(definition)
    bounds = {**_job_bounds(definition), "Transform": max_runtime_seconds}
    for name, bound in bounds.items():
        retrier = _capacity_retrier(states[name])
        waited = _retry_seconds(retrier)
        # Issue 12: with a quota of 1 and two trials at once, the second waits for the first to end
        # (at the latest at its stopping bound) instead of being recorded Failed after ~7.5 minutes.
        assert waited >= bound, (name, waited, bound, retrier)
        # ... and polls every few minutes meanwhile, not for much longer than the bound.
        assert retrier["MaxDelaySeconds"] <= 300 and waited < bound + retrier["MaxDelaySeconds"], (name, retrier)
        # Inside the limits the Retrier fields documentation gives, and no jitter (a random total).
        assert 0 < retrier["MaxDelaySeconds"] < 31622401 and retrier["MaxAttempts"] <= 99999999, retrier
        assert retrier.get("JitterStrategy", "NONE") == "NONE", retrier
        assert waited < definition["TimeoutSeconds"], (name, waited)


def test_capacity_retries_outlast_the_job_holding_the_quota(training, synthesized):
    assert _job_bounds(training)["Train"] == synthesized.config.max_wait_seconds  # spot: MaxWait bounds the job
    _assert_capacity_retries_outlast_the_jobs(training, synthesized.config.max_runtime_seconds)


def test_capacity_retries_follow_the_configured_runtime_without_spot(tmp_path):
    from tests.infra.conftest import synthesize

    synth = synthesize(tmp_path, spotTraining=False, maxRuntimeSeconds=10800, localCloud=True)
    definition = state_machine_definition(synth.pipeline, "TrainingStateMachine")
    assert _job_bounds(definition)["Train"] == 10800
    _assert_capacity_retries_outlast_the_jobs(definition, 10800)


def test_training_retries_transient_errors_and_catches_the_rest(training):
    trial = training["States"]["TrainTrials"]["ItemProcessor"]["States"]
    retries = {name: retrier for retrier in trial["Train"]["Retry"] for name in retrier["ErrorEquals"]}
    # The names Step Functions' SageMaker integration emits (SDK exception class names): a
    # "SageMaker.ResourceLimitExceeded" retrier would never match the capacity error.
    capacity = retries["SageMaker.ResourceLimitExceededException"]
    assert capacity["BackoffRate"] == 2 and capacity["MaxAttempts"] >= 3
    throttling = retries["SageMaker.AmazonSageMakerException"]
    assert throttling["JitterStrategy"] == "FULL" and throttling["MaxAttempts"] >= 2
    (catch,) = trial["Train"]["Catch"]
    # A caught error goes to NotTrained, unless a job of the trial's name exists (it is adopted).
    assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "TrainingJobExists?"}
    assert trial["TrainingJobExists?"]["Default"] == "NotTrained"
    # Both paths end in the same recorder, then the iteration's result, which a failed recorder reaches too.
    assert trial["NotTrained"]["Next"] == trial["Trained"]["Next"] == "RecordTraining"
    assert trial["RecordTraining"]["ResultPath"] == "$.trainingRecording"
    assert trial["RecordTraining"]["Next"] == "TrialResult"
    assert trial["RecordTraining"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.trainingRecording", "Next": "TrialResult"}
    ]
    assert "End" in trial["TrialResult"]


def test_every_sagemaker_call_retries_throttling_but_fails_a_refused_request_within_seconds(training):
    # "SageMaker.AmazonSageMakerException" is the catch-all of the SageMaker API: throttling, and
    # also ValidationException (a bad instance type, a bad request). Retrying it for minutes would
    # hold every trial of a misconfigured run in backoff before its Catch records the failure.
    for name, state in _states(training).items():
        if ":states:::sagemaker:" not in state.get("Resource", ""):
            continue
        retries = state.get("Retry", [])
        names = [n for retrier in retries for n in retrier["ErrorEquals"]]
        assert "SageMaker.AmazonSageMakerException" in names, name
        assert all(n.endswith("Exception") for n in names if n.startswith("SageMaker.")), (name, names)
        for retrier in retries:
            if "SageMaker.AmazonSageMakerException" in retrier["ErrorEquals"]:
                assert _retry_seconds(retrier) <= 30, (name, retrier)


def test_preprocessing_failure_is_recorded_then_fails_the_execution(training):
    (catch,) = training["States"]["Preprocess"]["Catch"]
    assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "ProcessingJobExists?"}
    # Any error but a name in use: recorded as the preprocessing's failure, then the execution fails.
    record = training["States"][training["States"]["ProcessingJobExists?"]["Default"]]
    assert record["Parameters"]["Payload"]["status"] == "Failed"
    assert training["States"][record["Next"]]["Type"] == "Fail"


@pytest.mark.parametrize(
    "job_state, kind, name_path, result_path, completed, unsuccessful",
    [
        (
            "Preprocess",
            "Processing",
            "$.preprocessing.jobName",
            "$.preprocessingJob",
            "RecordPreprocessing",
            "RecordPreprocessingFailure",
        ),
        ("Transform", "Transform", "$.transform.jobName", "$.transformJob", "RecordTransform", "TransformFailed"),
    ],
)
def test_a_processing_or_transform_job_name_in_use_is_adopted(
    training, job_state, kind, name_path, result_path, completed, unsuccessful
):
    top = training["States"]
    (catch,) = top[job_state]["Catch"]
    assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": f"{kind}JobExists?"}
    exists = top[f"{kind}JobExists?"]
    assert exists["Choices"] == [
        {"Variable": "$.error.Cause", "StringMatches": "*already exists*", "Next": f"Describe{kind}Job"}
    ]
    assert exists["Default"] == unsuccessful
    describe = top[f"Describe{kind}Job"]
    assert describe["Resource"].endswith(f":states:::aws-sdk:sagemaker:describe{kind}Job")
    assert describe["Parameters"] == {f"{kind}JobName.$": name_path}
    assert describe["ResultPath"] == result_path and describe["Next"] == f"Adopted{kind}JobEnded?"
    assert describe["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": unsuccessful}]
    ended = top[f"Adopted{kind}JobEnded?"]
    status = f"{result_path}.{kind}JobStatus"
    assert ended["Choices"][0] == {"Variable": status, "StringEquals": "Completed", "Next": completed}
    failed = top[ended["Choices"][1]["Next"]]
    # The adopted job's Describe is the caught error's cause, as a .sync job's is.
    assert failed["Parameters"] == {"Error": "AdoptedJobFailed", "Cause.$": f"States.JsonToString({result_path})"}
    assert failed["ResultPath"] == "$.error" and failed["Next"] == unsuccessful
    assert top[ended["Default"]]["Next"] == f"Describe{kind}Job"


def test_a_failed_transform_fails_the_execution_with_a_named_error_and_its_cause(training):
    failed = training["States"]["TransformFailed"]
    assert failed == {"Type": "Fail", "Error": "TransformFailed", "CausePath": "$.error.Cause"}


def test_cleanup_calls_the_function_until_done(cleanup):
    assert state_order(cleanup) == ["DeleteRecords", "Done?"]
    choice = cleanup["States"]["Done?"]
    assert choice["Choices"][0] == {"Variable": "$.done", "BooleanEquals": True, "Next": "Deleted"}
    # A pass that progressed is followed by the next at once (no fixed pause); one that made no
    # progress waits as long as its output says (waitSeconds: a backoff), never a hot loop.
    assert choice["Default"] == "DeleteRecords"
    (back_off,) = [c for c in choice["Choices"] if c.get("Variable") == "$.waitSeconds"]
    assert back_off == {"Variable": "$.waitSeconds", "NumericGreaterThan": 0, "Next": "BackOff"}
    wait = cleanup["States"]["BackOff"]
    assert wait == {"Type": "Wait", "SecondsPath": "$.waitSeconds", "Next": "DeleteRecords"}
    assert cleanup["States"]["DeleteRecords"]["Parameters"]["Payload.$"] == "$"
    # A killed function (timeout: Lambda.Unknown / Sandbox.Timedout) is run again with the same input.
    retried = {e for r in cleanup["States"]["DeleteRecords"]["Retry"] for e in r["ErrorEquals"]}
    assert {"Lambda.Unknown", "Sandbox.Timedout", "Lambda.ServiceException"} <= retried


HISTORY_LIMIT = 25_000  # "Maximum execution history size: 25,000 events" (Step Functions quotas)


def _choose(choice: dict, output: dict) -> str:
    """The Next a JSONPath Choice state picks for `output` (the operators this definition uses)."""

    def holds(rule: dict) -> bool:
        if "Or" in rule:
            return any(holds(r) for r in rule["Or"])
        value = output[rule["Variable"].removeprefix("$.")]
        if "BooleanEquals" in rule:
            return value is rule["BooleanEquals"]
        if "NumericGreaterThanEquals" in rule:
            return value >= rule["NumericGreaterThanEquals"]
        if "NumericGreaterThan" in rule:
            return value > rule["NumericGreaterThan"]
        raise AssertionError(f"operator not modelled: {rule}")

    return next((rule["Next"] for rule in choice["Choices"] if holds(rule)), choice["Default"])


def _run_loop(cleanup, pass_output) -> tuple[str, int, int]:
    """Follow the loop with the function's outputs; (end state, passes, worst-case history events)."""
    states = cleanup["States"]
    retries = sum(r.get("MaxAttempts", 3) for r in states["DeleteRecords"]["Retry"])
    # Task: entered, scheduled, started, succeeded, exited (5), and per retried attempt failed,
    # scheduled, started (3); Choice: entered, exited; Wait: entered, exited.
    events, passes, state = 2, 0, "DeleteRecords"  # ExecutionStarted ... ExecutionFailed/Succeeded
    output: dict = {}
    while True:
        if state == "DeleteRecords":
            passes += 1
            output = pass_output(passes)
            events += 5 + 3 * retries
            state = states[state]["Next"]
        elif states[state]["Type"] == "Choice":
            events += 2
            state = _choose(states[state], output)
        elif states[state]["Type"] == "Wait":
            events += 2
            state = states[state]["Next"]
        else:
            return state, passes, events + 1
        assert passes < 10_000, "the loop is not bounded"


def _output(passes: int, deferred: int, wait: int = 0) -> dict:
    return {
        "experimentName": "mnist",
        "done": False,
        "passes": passes,
        "deferredPasses": deferred,
        "waitSeconds": wait,
        "left": {"trials": 3, "trialComponents": 4},
    }


def test_a_cleanup_that_never_finishes_ends_in_cleanup_incomplete_far_below_the_history_limit(cleanup):
    # Passes that always progress (never done): bounded by the number of passes.
    end, passes, events = _run_loop(cleanup, lambda n: _output(n, 0))
    assert end == "CleanupIncomplete" and 50 <= passes <= 200
    assert events <= HISTORY_LIMIT // 4, events
    # Whatever mix of passes (each with every retry spent and a wait after it): still far below.
    retries = sum(r.get("MaxAttempts", 3) for r in cleanup["States"]["DeleteRecords"]["Retry"])
    assert passes * (5 + 3 * retries + 2 + 2) + 3 <= HISTORY_LIMIT // 4
    # Passes that never progress (a refused or throttled API): bounded much sooner, with waits.
    end, stuck, events = _run_loop(cleanup, lambda n: _output(n, n, wait=60))
    assert end == "CleanupIncomplete" and 3 <= stuck <= 20
    assert events <= HISTORY_LIMIT // 4
    fail = cleanup["States"]["CleanupIncomplete"]
    assert fail["Type"] == "Fail" and fail["Error"] == "CleanupIncomplete"
    # The cause names what is left.
    assert "$.left.trials" in fail["CausePath"] and "$.left.trialComponents" in fail["CausePath"]
    assert fail["CausePath"].startswith("States.Format(")


def test_the_bound_matches_the_function_s_own_backoff(cleanup):
    """The function's waits (2, 4, ... 60 s) over the passes allowed without progress stay far
    below the execution's timeout: the named error comes first."""
    from lambdas.cleanup_experiment.cleanup import CleanupResult

    _, stuck, _ = _run_loop(cleanup, lambda n: _output(n, n, wait=1))
    waits = [CleanupResult("m", False, False, deferred_passes=n).wait_seconds for n in range(1, stuck + 1)]
    assert waits[0] > 0 and max(waits) <= 60
    # Each pass runs at most the function's 5-minute timeout, each retried attempt too.
    assert sum(waits) + stuck * 300 * 3 < 6 * 3600


def test_no_task_of_the_main_chain_replaces_the_run_plan(training):
    # Each later state reads the plan (names, S3 URIs): a task's result must go beside it or nowhere.
    for name in state_order(training)[1:-1]:
        state = training["States"][name]
        if state["Type"] in ("Task", "Map"):
            assert "OutputPath" not in state, name
            assert "ResultPath" in state, f"{name} would replace the run plan with its result"
            assert state["ResultPath"] is None or state["ResultPath"].startswith("$."), name


def test_volume_key_is_sent_only_for_instance_types_without_local_storage(training, tmp_path):
    # SageMaker rejects VolumeKmsKeyId for types with instance storage (ml.g4dn, ml.g5, ml.m5d...):
    # a GPU training type must not turn every trial into a ValidationException.
    from tests.infra.conftest import synthesize

    states = _states(training)  # cdk.json's ml.m5.large everywhere: the project key on every volume
    assert "VolumeKmsKeyId" in states["Preprocess"]["Parameters"]["ProcessingResources"]["ClusterConfig"]
    assert "VolumeKmsKeyId" in states["Train"]["Parameters"]["ResourceConfig"]
    assert "VolumeKmsKeyId" in states["Transform"]["Parameters"]["TransformResources"]

    synth = synthesize(
        tmp_path,
        processingInstanceType="ml.m5d.large",
        trainingInstanceType="ml.g4dn.xlarge",
        transformInstanceType="ml.g5.xlarge",
        localCloud=True,
    )
    states = _states(state_machine_definition(synth.pipeline, "TrainingStateMachine"))
    assert "VolumeKmsKeyId" not in states["Preprocess"]["Parameters"]["ProcessingResources"]["ClusterConfig"]
    assert states["Train"]["Parameters"]["ResourceConfig"]["InstanceType"] == "ml.g4dn.xlarge"
    assert "VolumeKmsKeyId" not in states["Train"]["Parameters"]["ResourceConfig"]
    assert "VolumeKmsKeyId" not in states["Transform"]["Parameters"]["TransformResources"]
    # Outputs stay encrypted with the project key whatever the instance type.
    assert "KmsKeyId" in states["Train"]["Parameters"]["OutputDataConfig"]
    assert "KmsKeyId" in states["Transform"]["Parameters"]["TransformOutput"]


def test_every_lambda_state_retries_throttling_with_backoff(training, cleanup):
    # "When Lambda hits the maximum number of invocations, the error is Lambda.TooManyRequestsException"
    # (Step Functions developer guide); the CDK's default retrier does not name it.
    invoking = [
        (name, state)
        for definition in (training, cleanup)
        for name, state in walk_states(definition)
        if state.get("Resource", "").endswith(":states:::lambda:invoke")
    ]
    assert len(invoking) == 9
    for name, state in invoking:
        (retrier,) = [r for r in state["Retry"] if "Lambda.TooManyRequestsException" in r["ErrorEquals"]]
        assert retrier["BackoffRate"] >= 2 and retrier["JitterStrategy"] == "FULL", name
        assert retrier["MaxAttempts"] >= 5 and 10 <= _retry_seconds(retrier) <= 120, name


def test_a_record_state_that_fails_is_caught_and_the_run_goes_on(training):
    states = _states(training)
    for name, path, goes_on in [
        ("RecordPreprocessing", "$.preprocessingRecording", "TrainTrials"),
        ("RecordTrial", "$.trialRecording", "Train"),
        ("RecordTraining", "$.trainingRecording", "TrialResult"),
    ]:
        assert states[name]["ResultPath"] == path and states[name]["ResultSelector"] == {"recorded": True}
        assert states[name]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": path, "Next": goes_on}]
    # SelectBest makes the outcomes and lists what was not recorded; the output carries both.
    payload = states["SelectBest"]["Parameters"]["Payload"]
    assert (
        payload["results.$"] == "$.trialResults" and payload["preprocessingRecording.$"] == "$.preprocessingRecording"
    )
    # The outcomes (with what was not recorded) go to the bucket; the output carries their summary.
    assert payload["outcomesS3Uri.$"] == "$.outcomesS3Uri"
    assert states["Summarize"]["Parameters"]["outcomes.$"] == "$.selection.outcomes"


def test_processing_and_transform_jobs_carry_experiment_config(training):
    states = _states(training)
    assert states["Preprocess"]["Parameters"]["ExperimentConfig"] == {
        "ExperimentName.$": "$.experimentName",
        "TrialName.$": "$.preprocessing.trialName",
        "TrialComponentDisplayName": "Preprocessing",
    }
    assert states["Transform"]["Parameters"]["ExperimentConfig"] == {
        "ExperimentName.$": "$.experimentName",
        "TrialName.$": "$.selection.best.trialName",
        "TrialComponentDisplayName": "Transform",
    }


def test_a_training_job_name_in_use_is_described_until_it_ends(training):
    trial = training["States"]["TrainTrials"]["ItemProcessor"]["States"]
    (exists,) = trial["TrainingJobExists?"]["Choices"]
    assert exists == {"Variable": "$.error.Cause", "StringMatches": "*already exists*", "Next": "DescribeTrainingJob"}
    describe = trial["DescribeTrainingJob"]
    assert describe["Resource"].endswith(":states:::aws-sdk:sagemaker:describeTrainingJob")
    assert describe["Parameters"] == {"TrainingJobName.$": "$.trial.trainingJobName"}
    assert describe["ResultPath"] == "$.training" and describe["Next"] == "AdoptedJobEnded?"
    assert describe["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotTrained"}]
    ended = trial["AdoptedJobEnded?"]
    assert ended["Choices"][0] == {
        "Variable": "$.training.TrainingJobStatus",
        "StringEquals": "Completed",
        "Next": "Trained",
    }
    assert ended["Choices"][1]["Next"] == "AdoptedJobFailed" and trial["AdoptedJobFailed"]["Next"] == "RecordTraining"
    assert ended["Default"] == "WaitForAdoptedJob" and trial["WaitForAdoptedJob"]["Next"] == "DescribeTrainingJob"


def test_a_record_transform_that_fails_is_a_miss_in_the_output_not_a_failed_execution(training):
    top = training["States"]
    (catch,) = top["RecordTransform"]["Catch"]
    assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "TransformNotRecorded"}
    not_recorded = top["TransformNotRecorded"]
    assert not_recorded["ResultPath"] == "$.transformRecording" and not_recorded["Next"] == "Summarize"
    assert top["RecordTransform"]["Next"] == "Summarize"
    summary = top["Summarize"]["Parameters"]["transform"]
    assert summary["mlflowUnrecorded.$"] == "$.transformRecording.mlflowUnrecorded"
