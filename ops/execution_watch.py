"""Follows an execution until it ends: polls its history, shows live progress, then its outcome."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from botocore.exceptions import ClientError
from rich import box
from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ops.errors import OperatorError
from ops.execution_progress import TERMINAL_STATUSES, ExecutionProgress, readable_cause

DEFAULT_INTERVAL_SECONDS = 5.0


def execution_arn(name_or_arn: str, state_machine_arns: list[str]) -> list[str]:
    """Candidate ARNs of an execution given by name (one per state machine) or by ARN."""
    if name_or_arn.startswith("arn:"):
        return [name_or_arn]
    return [arn.replace(":stateMachine:", ":execution:", 1) + f":{name_or_arn}" for arn in state_machine_arns]


def describe(stepfunctions, candidates: list[str], shown_name: str) -> dict:
    """DescribeExecution of the first candidate that exists; a one-line error when none does."""
    for arn in candidates:
        try:
            return stepfunctions.describe_execution(executionArn=arn)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("ExecutionDoesNotExist", "InvalidArn"):
                raise
    raise OperatorError(f"execution {shown_name} not found (give its name as `start` printed it, or its ARN)")


def new_events(stepfunctions, arn: str, after_id: int) -> list[dict]:
    """History events newer than `after_id`, read newest first so a long history is not re-read."""
    events: list[dict] = []
    paginator = stepfunctions.get_paginator("get_execution_history")
    for page in paginator.paginate(executionArn=arn, reverseOrder=True, includeExecutionData=True):
        fresh = [event for event in page["events"] if event["id"] > after_id]
        events.extend(fresh)
        if len(fresh) < len(page["events"]):
            break
    return sorted(events, key=lambda event: event["id"])


def follow(
    stepfunctions,
    arn: str,
    progress: ExecutionProgress,
    *,
    interval: float,
    on_update: Callable[[dict, ExecutionProgress], None],
) -> dict:
    """Polls until the execution ends; returns its final DescribeExecution."""
    while True:
        # Describe before reading events, so the last poll's events include the final ones.
        description = stepfunctions.describe_execution(executionArn=arn)
        ended_before = progress.map_run_ended
        progress.apply(new_events(stepfunctions, arn, progress.last_event_id))
        if progress.map_run_arn and not ended_before:
            # One call per poll for the whole sweep; once more after the Map Run ended, for its last counts.
            progress.apply_map_run(stepfunctions.describe_map_run(mapRunArn=progress.map_run_arn))
        if description["status"] == "SUCCEEDED":
            progress.apply_output(json.loads(description.get("output") or "{}"))
        on_update(description, progress)
        if description["status"] in TERMINAL_STATUSES:
            return description
        time.sleep(interval)


def elapsed(description: dict) -> str:
    start = description["startDate"]
    end = description.get("stopDate") or datetime.now(UTC)
    seconds = max(int((end - start).total_seconds()), 0)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def trial_counts(progress: ExecutionProgress) -> str:
    """While the trials run, their Map Run's counts; once SelectBest has made them, the outcomes."""
    if progress.completed is not None:
        return f"completed {progress.completed} · failed {progress.failed}"
    return f"queued {progress.queued} · running {progress.running} · done {progress.done}"


class TrainingView:
    """The live panel of a training execution and its line-per-change form for logs: the sweep's counts,
    not a row per trial, so that a 300-trial sweep fits a terminal (`compare` lists the trials)."""

    def __init__(self, console: Console, variants: list[dict]):
        self.console = console
        self.variants = variants

    def total(self, progress: ExecutionProgress) -> int:
        return progress.total_trials or len(self.variants) or 0

    def render(self, description: dict, progress: ExecutionProgress):
        total = self.total(progress)
        header = Text.assemble(
            (description["name"], "bold"),
            "  ",
            (description["status"], _status_style(description["status"])),
            f"  elapsed {elapsed(description)}  state ",
            (progress.state or "-", "cyan"),
        )
        bar = Table.grid(padding=(0, 1))
        bar.add_row(
            "trials",
            ProgressBar(total=max(total, 1), completed=progress.done, width=30),
            f"{progress.done}/{total}",
        )
        return Group(header, bar, Text(trial_counts(progress)))

    def line(self, description: dict, progress: ExecutionProgress) -> str:
        return f"{progress.state or '-'}: trials {progress.done}/{self.total(progress)} ({trial_counts(progress)})"


def watch_execution(
    stepfunctions,
    description: dict,
    *,
    console: Console,
    interval: float,
    view_factory,
    checkpoint_state: str | None = None,
) -> tuple[dict, ExecutionProgress]:
    """Live panel on a terminal, one line per change elsewhere (CI logs, pipes)."""
    progress = ExecutionProgress(checkpoint_state=checkpoint_state)
    view = view_factory(console, description)
    arn = description["executionArn"]
    if console.is_terminal:
        with Live(console=console, refresh_per_second=4, transient=False) as live:
            final = follow(
                stepfunctions, arn, progress, interval=interval, on_update=lambda d, p: live.update(view.render(d, p))
            )
        return final, progress

    last = [""]

    def print_changes(d: dict, p: ExecutionProgress) -> None:
        line = view.line(d, p)
        if line != last[0]:
            console.print(f"[{elapsed(d)}] {line}", highlight=False, soft_wrap=True)
            last[0] = line

    return follow(stepfunctions, arn, progress, interval=interval, on_update=print_changes), progress


def report_failure(
    console: Console, description: dict, progress: ExecutionProgress, where_to_look: Sequence[str] = ()
) -> None:
    failure = progress.failure
    error = (failure.error if failure else None) or description.get("error") or description["status"]
    cause = (failure.cause if failure else None) or description.get("cause") or ""
    where = f" in state {failure.state}" if failure and failure.state else ""
    console.print(Text.assemble((f"Execution {description['name']} {description['status']}{where}", "bold red")))
    console.print(Text(f"error: {error}"), soft_wrap=True)
    console.print(Text(f"cause: {readable_cause(cause) or '(none given)'}"), soft_wrap=True)
    if where_to_look:
        console.print("where to look:")
        for line in where_to_look:
            console.print(Text(f"  {line}"), soft_wrap=True)


# The outcome table lists every trial of a sweep this size; a larger one, its best and its failures.
OUTCOME_ROWS = 20


def report_training_outcome(console: Console, description: dict, outcomes: dict) -> None:
    """The trials' outcomes (the outcomes file, ops/sweep_outcomes.py), the best trial and the transform."""
    output = json.loads(description.get("output") or "{}")
    best = output.get("best") or {}
    metric = best.get("metric")
    every = outcomes.get("trials") or []
    goal = (json.loads(description.get("input") or "{}").get("objective") or {}).get("goal") or "Maximize"
    trials = every if len(every) <= OUTCOME_ROWS else _best_rows(every, metric, goal, OUTCOME_ROWS // 2)
    varying = varying_keys([t.get("hyperparameters") or {} for t in every])
    table = Table(
        title=f"Experiment {output.get('experimentName', '')} (* best)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
    )
    table.add_column("", no_wrap=True)
    table.add_column("trial", no_wrap=True)
    for key in varying:
        table.add_column(key, justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column(metric or "metric", justify="right", no_wrap=True)
    for trial in trials:
        hyperparameters = trial.get("hyperparameters") or {}
        value = (trial.get("metrics") or {}).get(metric)
        table.add_row(
            "*" if trial.get("trialName") == best.get("trialName") else "",
            trial.get("trialName", ""),
            *(str(hyperparameters.get(key, "")) for key in varying),
            trial.get("status", ""),
            "" if value is None else f"{value:g}",
        )
    console.print(table)
    if len(trials) < len(every):
        console.print(f"... the {len(trials)} best of {len(every)} trials shown (`compare` lists every one)")
    failures = [trial for trial in every if trial.get("failureReason")]
    for trial in failures[:OUTCOME_ROWS]:
        console.print(
            Text(f"Failed trial {trial.get('trialName')}: {trial['failureReason']}", style="red"), soft_wrap=True
        )
    if len(failures) > OUTCOME_ROWS:
        console.print(Text(f"... and {len(failures) - OUTCOME_ROWS} more failed trials", style="red"))
    for record in outcomes.get("unrecorded") or []:
        console.print(
            Text(f"Not recorded: {record.get('state')} {record.get('trialName') or ''} ({record.get('error')})"),
            soft_wrap=True,
        )
    console.print(Text.assemble(("Best trial: ", "bold"), f"{best.get('trialName')}  {metric} = {best.get('value')}"))
    console.print(f"Model: {output.get('model')}", highlight=False)
    transform = output.get("transform") or {}
    console.print(
        f"Batch transform: {transform.get('jobName')} -> {transform.get('outputS3Uri')}",
        highlight=False,
        soft_wrap=True,
    )


def _best_rows(trials: list[dict], metric: str | None, goal: str, count: int) -> list[dict]:
    """The `count` trials with the best values of the objective, best first."""
    scored = [t for t in trials if isinstance((t.get("metrics") or {}).get(metric), (int, float))]
    return sorted(scored, key=lambda t: t["metrics"][metric], reverse=goal == "Maximize")[:count]


def varying_keys(rows: list[dict]) -> list[str]:
    """Keys whose values differ between rows, in first-seen order (what a comparison is about)."""
    keys = list(dict.fromkeys(key for row in rows for key in row))
    return [key for key in keys if len({json.dumps(row.get(key), sort_keys=True) for row in rows}) > 1]


def _status_style(status: str) -> str:
    return {"SUCCEEDED": "green", "FAILED": "red", "TIMED_OUT": "red", "ABORTED": "red"}.get(status, "yellow")
