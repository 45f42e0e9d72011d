"""What `watch` reads from history shapes that moto's Pass/Choice states do not produce (Lambda task
failures, a failed Map iteration), written as Step Functions records them."""

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


def test_a_failed_map_iteration_counts_as_a_failed_trial_and_the_rest_stay_queued():
    events = _events(
        ("ExecutionStarted", 0, "executionStartedEventDetails", {"input": "{}"}),
        ("MapStateEntered", 1, "stateEnteredEventDetails", {"name": "TrainTrials"}),
        ("MapStateStarted", 2, "mapStateStartedEventDetails", {"length": 3}),
        ("MapIterationStarted", 3, "mapIterationStartedEventDetails", {"name": "TrainTrials", "index": 0}),
        ("TaskStateEntered", 4, "stateEnteredEventDetails", {"name": "RecordTrial"}),
        ("TaskFailed", 5, "taskFailedEventDetails", {"error": "Lambda.ServiceException", "cause": "boom"}),
        ("MapIterationFailed", 6, "mapIterationFailedEventDetails", {"name": "TrainTrials", "index": 0}),
        ("MapStateFailed", 7, None, None),
        ("ExecutionFailed", 8, "executionFailedEventDetails", {"error": "Lambda.ServiceException", "cause": "boom"}),
    )
    progress = ExecutionProgress()
    progress.apply(events[:5])
    assert (progress.running, progress.queued, progress.trials[0].state) == (1, 2, "RecordTrial")

    progress.apply(events)  # the next poll: the same events again plus the new ones
    assert (progress.queued, progress.running, progress.completed, progress.failed) == (2, 0, 0, 1)
    assert progress.state == "TrainTrials"
    assert progress.failure is not None
    assert (progress.failure.state, progress.failure.cause) == ("TrainTrials", "boom")


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
