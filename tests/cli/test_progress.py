"""What `watch` reads from history shapes that moto's Pass/Choice states do not produce (Lambda task
failures, a failed Map Run), written as Step Functions records them, and from DescribeMapRun's counts."""

from __future__ import annotations

import json

from ops.execution_progress import ExecutionProgress, readable_cause


def _events(*specs) -> list[dict]:
    """(type, previousEventId, details key, details) tuples -> events with ids 1..n."""
    return [
        {"id": i, "previousEventId": prev, "type": kind, **({key: details} if key else {})}
        for i, (kind, prev, key, details) in enumerate(specs, start=1)
    ]


def test_a_lambda_task_failure_names_its_state_and_the_exception():
    cause = json.dumps(
        {
            "errorMessage": "trials: 25 trials, this deployment allows at most 20 (MAX_TRIALS)",
            "errorType": "InvalidExecutionInput",
            "stackTrace": ["..."],
        }
    )
    events = _events(
        ("ExecutionStarted", 0, "executionStartedEventDetails", {"input": json.dumps({"trials": [{}] * 25})}),
        ("TaskStateEntered", 1, "stateEnteredEventDetails", {"name": "ValidateInput", "input": "{}"}),
        ("TaskScheduled", 2, "taskScheduledEventDetails", {"resource": "invoke", "resourceType": "lambda"}),
        ("TaskStarted", 3, "taskStartedEventDetails", {"resource": "invoke", "resourceType": "lambda"}),
        ("TaskFailed", 4, "taskFailedEventDetails", {"error": "InvalidExecutionInput", "cause": cause}),
        ("ExecutionFailed", 5, "executionFailedEventDetails", {"error": "InvalidExecutionInput", "cause": cause}),
    )
    progress = ExecutionProgress()
    progress.apply(events)

    assert progress.total_trials == 25 and progress.queued == 25
    assert progress.failure is not None
    assert progress.failure.state == "ValidateInput"
    assert progress.failure.error == "InvalidExecutionInput"
    assert readable_cause(progress.failure.cause) == (
        "InvalidExecutionInput: trials: 25 trials, this deployment allows at most 20 (MAX_TRIALS)"
    )


def test_the_trials_are_counted_from_the_map_run_and_a_failed_map_run_names_its_state():
    arn = "arn:aws:states:us-east-1:123456789012:mapRun:Training/TrainTrials:abc"
    events = _events(
        ("ExecutionStarted", 0, "executionStartedEventDetails", {"input": json.dumps({"trials": [{}] * 3})}),
        ("MapStateEntered", 1, "stateEnteredEventDetails", {"name": "TrainTrials"}),
        ("MapStateStarted", 2, "mapStateStartedEventDetails", {"length": 0}),
        ("MapRunStarted", 3, "mapRunStartedEventDetails", {"mapRunArn": arn}),
        ("MapRunFailed", 4, "mapRunFailedEventDetails", {"error": "States.ExceedToleratedFailureThreshold"}),
        ("MapStateFailed", 5, None, None),
        ("ExecutionFailed", 6, "executionFailedEventDetails", {"error": "States.ExceedToleratedFailureThreshold"}),
    )
    progress = ExecutionProgress()
    progress.apply(events[:4])
    assert progress.map_run_arn == arn and not progress.map_run_ended
    # One DescribeMapRun per poll: the counts of its child executions, whatever the sweep's size.
    progress.apply_map_run({"itemCounts": {"pending": 1, "running": 1, "succeeded": 1, "total": 3}})
    assert (progress.queued, progress.running, progress.done) == (1, 1, 1)

    progress.apply(events)  # the next poll: the same events again plus the new ones
    progress.apply_map_run({"itemCounts": {"running": 0, "succeeded": 1, "failed": 2, "total": 3}})
    assert progress.map_run_ended and (progress.queued, progress.running, progress.done) == (0, 0, 3)
    assert progress.state == "TrainTrials"
    assert progress.failure is not None
    assert (
        progress.failure.state == "TrainTrials" and progress.failure.error == "States.ExceedToleratedFailureThreshold"
    )
    # No outcomes: the execution never reached SelectBest.
    assert (progress.completed, progress.failed) == (None, None)


def test_the_outcome_counts_come_from_the_output():
    progress = ExecutionProgress()
    progress.apply_output({"outcomes": {"s3Uri": "s3://b/k", "trials": 5, "completed": 4, "failed": 1}})
    assert (progress.completed, progress.failed) == (4, 1)


def test_the_outcome_counts_come_from_select_best_once_it_exits_before_the_execution_ends():
    selection = {"best": {}, "outcomes": {"s3Uri": "s3://b/k", "trials": 3, "completed": 2, "failed": 1}}
    events = _events(
        ("TaskStateEntered", 0, "stateEnteredEventDetails", {"name": "SelectBest"}),
        ("TaskStateExited", 1, "stateExitedEventDetails", {"name": "SelectBest", "output": "{}"}),
        ("TaskStateEntered", 2, "stateEnteredEventDetails", {"name": "CreateModel"}),
    )
    progress = ExecutionProgress()
    progress.apply(events)
    assert (progress.completed, progress.failed) == (None, None)  # an exit without a selection counts nothing

    events[1]["stateExitedEventDetails"]["output"] = json.dumps({"selection": selection})
    progress = ExecutionProgress()
    progress.apply(events)
    assert progress.state == "CreateModel" and (progress.completed, progress.failed) == (2, 1)


def test_a_sagemaker_job_cause_reads_as_its_failure_reason():
    cause = json.dumps(
        {
            "TrainingJobName": "j",
            "TrainingJobStatus": "Failed",
            "FailureReason": "ResourceLimitExceeded: account-level service limit 'ml.m5.large for spot'",
        }
    )
    assert readable_cause(cause) == "ResourceLimitExceeded: account-level service limit 'ml.m5.large for spot'"
    assert readable_cause("plain text") == "plain text"
