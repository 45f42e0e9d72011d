"""Builds a training execution input from `start`'s flags or a JSON file, checked as the state machine checks it."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from contract.events import COMPLETED
from contract.run_plan import ExecutionInput, RunPlan
from ops.errors import InvalidUsage, OperatorError

GOALS = {"max": "Maximize", "maximize": "Maximize", "min": "Minimize", "minimize": "Minimize"}
# Step Functions execution names: 1-80 characters, no whitespace, brackets, wildcards or controls.
EXECUTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def parse_value(text: str) -> object:
    """A flag value as JSON would carry it: 2 -> int, 0.2 -> float, true -> bool, else the text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text.strip()


def _assignment(flag: str, text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise InvalidUsage(f"{flag} expects NAME=VALUE, got {text!r}")
    return name.strip(), value


def grid_trials(grid: tuple[str, ...]) -> list[dict]:
    """`--grid a=1,2 --grid b=x,y` -> the cartesian product, one trial per combination."""
    axes: dict[str, list] = {}
    for text in grid:
        name, values = _assignment("--grid", text)
        if name in axes:
            raise InvalidUsage(f"--grid names {name!r} twice")
        parsed = [parse_value(v) for v in values.split(",") if v.strip()]
        if not parsed:
            raise InvalidUsage(f"--grid {name} has no values")
        axes[name] = parsed
    return [dict(zip(axes, combination, strict=True)) for combination in itertools.product(*axes.values())]


def shared_hyperparameters(assignments: tuple[str, ...]) -> dict:
    values: dict = {}
    for text in assignments:
        name, value = _assignment("--set", text)
        values[name] = parse_value(value)
    return values


def goal_name(goal: str) -> str:
    try:
        return GOALS[goal.lower()]
    except KeyError:
        raise InvalidUsage(f"--goal must be max or min (Maximize/Minimize), got {goal!r}") from None


def read_input_file(path: Path) -> dict:
    try:
        raw = json.loads(path.read_text())
    except OSError as error:
        raise InvalidUsage(f"--input {path}: cannot read it ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise InvalidUsage(f"--input {path}: not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(raw, dict):
        raise InvalidUsage(f"--input {path}: the execution input must be a JSON object")
    return raw


def build_input(
    *,
    input_file: Path | None,
    grid: tuple[str, ...],
    assignments: tuple[str, ...],
    experiment: str | None,
    objective: str | None,
    goal: str | None,
    dataset: str | None,
) -> dict:
    """The execution input (README, "Execution input and output reference"): the file's, every given flag
    overriding it."""
    raw = read_input_file(input_file) if input_file else {}
    if grid:
        raw["trials"] = grid_trials(grid)
    if assignments:
        raw["hyperparameters"] = {**(raw.get("hyperparameters") or {}), **shared_hyperparameters(assignments)}
    if experiment:
        raw["experimentName"] = experiment
    if objective or goal:
        current = dict(raw.get("objective") or {})
        if objective:
            current["metric"] = objective
        if goal:
            current["goal"] = goal_name(goal)
        raw["objective"] = current
    if dataset:
        raw["dataset"] = {"s3Uri": dataset}
    if "trials" not in raw:
        raise InvalidUsage('no trials: give --grid NAME=V1,V2,... or an --input file with "trials"')
    return raw


def check(raw: dict, *, max_trials: int) -> ExecutionInput:
    """The state machine's own validation (lambdas/validate_input/plan.py), run before any AWS call."""
    from lambdas.validate_input.plan import InvalidExecutionInput, check_execution_input

    try:
        return check_execution_input(raw, max_trials=max_trials)
    except InvalidExecutionInput as error:
        raise InvalidUsage(f"invalid execution input: {error}") from None


def check_plan(raw: dict, *, execution_name: str, bucket_name: str, max_trials: int) -> RunPlan:
    """The run plan the state machine's first state will make (its trials aside): also checks the names derived from
    the execution name (trial, job and component names within SageMaker's limits)."""
    from lambdas.validate_input.plan import InvalidExecutionInput, plan_run

    try:
        return plan_run(raw, execution_name=execution_name, bucket_name=bucket_name, max_trials=max_trials).plan
    except InvalidExecutionInput as error:
        raise InvalidUsage(f"invalid execution input: {error}") from None


def check_experiment_capacity(experiment_name: str, *, existing_trials: int, new_trials: int) -> None:
    """The state machine's quota check (trials per experiment), before StartExecution."""
    from lambdas.validate_input.plan import InvalidExecutionInput
    from lambdas.validate_input.plan import check_experiment_capacity as check_capacity

    try:
        check_capacity(experiment_name, existing_trials=existing_trials, new_trials=new_trials)
    except InvalidExecutionInput as error:
        raise InvalidUsage(f"invalid execution input: {error}") from None


def execution_name(experiment_name: str, *, now: datetime | None = None) -> str:
    """`<experiment>-<UTC timestamp>`, shortened to Step Functions' 80 characters."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", experiment_name)[: 80 - len(stamp) - 1]
    return f"{prefix}-{stamp}"


def check_execution_name(name: str) -> str:
    if not EXECUTION_NAME.match(name):
        raise InvalidUsage(f"--name {name!r}: 1-80 letters, digits, '-' or '_'")
    return name


def check_rerunnable(description: dict) -> None:
    """Only a SUCCEEDED execution has outcomes to rerun from (a failed one has no output)."""
    name, status = description.get("name", "?"), description.get("status")
    if status != "SUCCEEDED":
        raise OperatorError(
            f"execution {name} is {status}; only a SUCCEEDED execution's failed trials can be rerun "
            f"(`python -m ops watch {name}` shows why it ended; `python -m ops start --input` starts it again)"
        )


def rerun_input(description: dict, outcomes: dict) -> dict:
    """The input of an execution that trains again only the failed trials of the finished one described
    (DescribeExecution), from its outcomes file (ops/sweep_outcomes.py): each failed trial's full
    hyperparameters under its own trial name, and that file, whose completed trials the rerun keeps
    (`rerun`, lambdas/validate_input/plan.py). The execution passed check_rerunnable: its outcomes
    were read."""
    name = description.get("name", "?")
    previous_input = json.loads(description.get("input") or "{}")
    output = json.loads(description.get("output") or "{}")
    trials = outcomes.get("trials") or []
    failed = [t for t in trials if t.get("status") != COMPLETED]
    if not failed:
        raise OperatorError(f"execution {name}: all {len(trials)} trials completed; nothing to rerun")
    earlier = previous_input.get("rerun") or {}  # a rerun of a rerun: the sweep's data is still the first's
    raw: dict = {
        "experimentName": output["experimentName"],
        # The trials' full hyperparameters (contract defaults and shared ones applied): the same training.
        "trials": [dict(t.get("hyperparameters") or {}) for t in failed],
        "rerun": {
            "of": name,
            "preprocessedBy": earlier.get("preprocessedBy") or earlier.get("of") or name,
            "trialNames": [t["trialName"] for t in failed],
            "outcomes": output["outcomes"]["s3Uri"],
        },
    }
    for key in ("objective", "dataset"):
        if previous_input.get(key) is not None:
            raw[key] = previous_input[key]
    return raw


def rerun_name(previous: str, *, now: datetime | None = None) -> str:
    """`<sweep>-rerun-<UTC timestamp>` (a rerun of a rerun drops the earlier suffix), shortened to fit
    Step Functions' 80 characters."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    suffix = f"-rerun-{stamp}"
    sweep = re.sub(r"-rerun-\d{8}-\d{6}$", "", previous)
    return sweep[: 80 - len(suffix)] + suffix
