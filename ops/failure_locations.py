"""Where to look when an execution fails: the failed job's or function's logs, the execution log, local files.

Everything comes from what the CLI can read (the history, DescribeStateMachine, GetFunctionConfiguration);
a lookup that is refused or finds nothing leaves its line out and never fails the report.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError

from contract import states

# The job name field of a SageMaker Describe*Job / Create*Job and where SageMaker writes the job's logs.
JOB_LOG_GROUPS = {
    "ProcessingJobName": ("processing job", "/aws/sagemaker/ProcessingJobs"),
    "TrainingJobName": ("training job", "/aws/sagemaker/TrainingJobs"),
    "TransformJobName": ("transform job", "/aws/sagemaker/TransformJobs"),
}
# Which job a SageMaker state runs, and which states are Lambdas (contract.states).
JOB_STATES = states.JOB_NAME_FIELD_OF_STATE
LAMBDA_STATES = states.LAMBDA_STATES
_TASK_FAILURES = {
    "TaskFailed": "taskFailedEventDetails",
    "TaskTimedOut": "taskTimedOutEventDetails",
    "TaskStartFailed": "taskStartFailedEventDetails",
    "TaskSubmitFailed": "taskSubmitFailedEventDetails",
}
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
RUN_DIR_VARIABLE = "LOCAL_CLOUD_RUN_DIR"


@dataclass
class FailedTask:
    """A task that failed: its state, its kind ("lambda", "sagemaker") and the request it was scheduled with."""

    state: str | None
    resource_type: str | None = None
    parameters: dict = field(default_factory=dict)
    cause: str = ""


def failed_tasks(history_events: list[dict]) -> list[FailedTask]:
    """Every task failure of a history, oldest first, with the state and request it belongs to."""
    state_of: dict[int, str] = {}
    scheduled_of: dict[int, dict] = {}
    found: list[FailedTask] = []
    for event in sorted(history_events, key=lambda e: e["id"]):
        event_id, previous = event["id"], event.get("previousEventId")
        # Each event follows from its previous one: that chain leads back to the state and the schedule.
        if previous in state_of:
            state_of[event_id] = state_of[previous]
        if previous in scheduled_of:
            scheduled_of[event_id] = scheduled_of[previous]
        if event.get("stateEnteredEventDetails"):
            state_of[event_id] = event["stateEnteredEventDetails"].get("name")
        if event.get("taskScheduledEventDetails"):
            scheduled_of[event_id] = event["taskScheduledEventDetails"]
        details_key = _TASK_FAILURES.get(event["type"])
        if details_key:
            details = event.get(details_key) or {}
            scheduled = scheduled_of.get(event_id, {})
            found.append(
                FailedTask(
                    state=state_of.get(event_id),
                    resource_type=details.get("resourceType") or scheduled.get("resourceType"),
                    parameters=_json_object(scheduled.get("parameters")),
                    cause=details.get("cause") or "",
                )
            )
    return found


def failed_task(history_events: list[dict], *, state: str | None, cause: str) -> FailedTask | None:
    """The task the execution failed of: the last one whose cause the execution carries, else the failed state's."""
    tasks = failed_tasks(history_events)
    if cause:
        # A caught failure is passed on as is ($.error.Cause of a Fail state, an iteration's failure).
        for task in reversed(tasks):
            if task.cause == cause:
                return task
    for task in reversed(tasks):
        if state and task.state == state:
            return task
    return None


@dataclass
class FailureLocations:
    """What a failed execution's report points at; lines() words it."""

    job: tuple[str, str] | None = None  # (field such as "TrainingJobName", job name)
    job_state: str | None = None  # a SageMaker state whose job name is unknown
    function: str | None = None
    function_state: str | None = None  # a Lambda state whose function is unknown (history not readable)
    function_log_group: str | None = None
    execution_log_groups: list[str] = field(default_factory=list)
    local_logs: list[tuple[str, Path]] = field(default_factory=list)
    local_run_dir: Path | None = None

    def lines(self) -> list[str]:
        lines: list[str] = []
        if self.job:
            kind, group = JOB_LOG_GROUPS[self.job[0]]
            lines.append(f"{kind} {self.job[1]}: CloudWatch Logs group {group}, log streams {self.job[1]}/*")
        elif self.job_state:
            kind, group = JOB_LOG_GROUPS[JOB_STATES[self.job_state]]
            lines.append(
                f"the {kind} of state {self.job_state}: CloudWatch Logs group {group}, log streams named after the job"
            )
        if self.function:
            where = (
                f"CloudWatch Logs group {self.function_log_group}"
                if self.function_log_group
                else "its CloudWatch Logs group (the function's LoggingConfig)"
            )
            lines.append(f"Lambda function {function_name(self.function)}: {where}")
        elif self.function_state:
            lines.append(f"the Lambda function of state {self.function_state}: its CloudWatch Logs group")
        for group in self.execution_log_groups:
            lines.append(f"execution log: CloudWatch Logs group {group}")
        if self.local_run_dir is not None:
            for what, path in self.local_logs:
                lines.append(f"local log of {what}: {path}")
            if not self.local_logs:
                lines.append(f"local logs: every job and Lambda log is under {self.local_run_dir / 'logs'}")
        return lines


def locate(history_events: list[dict], *, state: str | None, cause: str) -> FailureLocations:
    """The job or function a failure came from, read from its cause and its task's request (no AWS calls)."""
    locations = FailureLocations()
    task = failed_task(history_events, state=state, cause=cause)
    sources = [_json_object(cause), _json_object(task.cause) if task else {}, task.parameters if task else {}]
    for source in sources:
        job_field = next((name for name in JOB_LOG_GROUPS if isinstance(source.get(name), str)), None)
        if job_field:
            locations.job = (job_field, source[job_field])
            break
    task_state = task.state if task else state
    if locations.job is None and task_state in JOB_STATES:
        locations.job_state = task_state
    if task and task.resource_type == "lambda" and isinstance(task.parameters.get("FunctionName"), str):
        locations.function = task.parameters["FunctionName"]
    elif task_state in LAMBDA_STATES:
        locations.function_state = task_state
    return locations


def look_up(aws, description: dict, *, state: str | None, cause: str) -> FailureLocations:
    """locate() on the execution's history, plus the log groups AWS says, plus local files on a local cloud."""
    history = _guarded(lambda: _history(aws.stepfunctions, description["executionArn"]), [])
    locations = locate(history, state=state, cause=cause)
    if locations.function:
        configuration = _guarded(
            lambda: aws.client("lambda").get_function_configuration(FunctionName=locations.function), {}
        )
        locations.function_log_group = (configuration.get("LoggingConfig") or {}).get("LogGroup")
    if description.get("stateMachineArn"):
        machine = _guarded(
            lambda: aws.stepfunctions.describe_state_machine(stateMachineArn=description["stateMachineArn"]), {}
        )
        locations.execution_log_groups = execution_log_groups(machine)
    if is_local_endpoint(aws.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")):
        from local_cloud import cloud, run_logs

        run_dir = Path(os.environ.get(RUN_DIR_VARIABLE) or cloud.DEFAULT_RUN_DIR)
        locations.local_run_dir = run_dir
        locations.local_logs = _guarded(lambda: run_logs.failure_logs(run_dir, history), [], errors=(OSError,))
    return locations


def execution_log_groups(state_machine: dict) -> list[str]:
    """Log group names of DescribeStateMachine's loggingConfiguration (ARNs end in ':*')."""
    groups = []
    for destination in (state_machine.get("loggingConfiguration") or {}).get("destinations") or []:
        arn = (destination.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn") or ""
        if ":log-group:" in arn:
            groups.append(arn.split(":log-group:", 1)[1].removesuffix(":*"))
    return groups


def function_name(name_or_arn: str) -> str:
    """The name in a function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]), or the name itself."""
    parts = name_or_arn.split(":")
    return parts[6] if name_or_arn.startswith("arn:") and len(parts) >= 7 else name_or_arn


def is_local_endpoint(endpoint_url: str | None) -> bool:
    return bool(endpoint_url) and urlparse(endpoint_url).hostname in LOCAL_HOSTS


def _history(stepfunctions, arn: str) -> list[dict]:
    events: list[dict] = []
    for page in stepfunctions.get_paginator("get_execution_history").paginate(executionArn=arn):
        events.extend(page["events"])
    return events


def _guarded(lookup, fallback, *, errors: tuple = ()):
    """A lookup's answer, or the fallback when AWS refuses it: a hint must never cost the report."""
    try:
        return lookup()
    except (BotoCoreError, ClientError, *errors):
        return fallback


def _json_object(text: str | None) -> dict:
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
