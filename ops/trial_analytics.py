"""The `compare` table: one row per trial's training component, sorted by the objective, and its exports."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from botocore.exceptions import ClientError
from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from ops import experiment_records as records
from ops.errors import InvalidUsage, OperatorError

DEFAULT_OBJECTIVE = "test:accuracy"
DEFAULT_GOAL = "Maximize"
# Parameters SageMaker adds to a training job's component (instance type, image...), not hyperparameters.
SAGEMAKER_PARAMETER_PREFIX = "SageMaker."


@dataclass
class TrialRow:
    trial: str
    trial_component: str
    training_job: str
    status: str
    parameters: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    failure_reason: str | None = None
    # DescribeTrainingJob's TrainingTimeInSeconds and BillableTimeInSeconds (None: job not found, or not ended).
    training_seconds: int | None = None
    billable_seconds: int | None = None
    # The trial's training components in creation order: a rerun (`ops rerun`) adds one per attempt.
    attempt: int = 1
    attempts: int = 1

    @property
    def label(self) -> str:
        """The trial as the table names it: with its attempt when it was trained more than once."""
        return self.trial if self.attempts == 1 else f"{self.trial} #{self.attempt}"

    @property
    def spot_savings_percent(self) -> float | None:
        """BillableTimeInSeconds (API reference): "You can calculate the savings from using managed spot
        training using the formula (1 - BillableTimeInSeconds / TrainingTimeInSeconds) * 100"."""
        return spot_savings(self.training_seconds, self.billable_seconds)


def spot_savings(training_seconds: int | None, billable_seconds: int | None) -> float | None:
    if not training_seconds or billable_seconds is None:
        return None
    return (1 - billable_seconds / training_seconds) * 100


def add_costs(sagemaker, rows: list[TrialRow]) -> None:
    """Each row's training and billable seconds, from its job's DescribeTrainingJob (one call per trial)."""
    for row in rows:
        if not row.training_job:
            continue
        try:
            job = sagemaker.describe_training_job(TrainingJobName=row.training_job)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("ResourceNotFound", "ValidationException"):
                continue  # a job SageMaker no longer knows (or never started): no cost to show
            raise
        row.training_seconds = job.get("TrainingTimeInSeconds")
        row.billable_seconds = job.get("BillableTimeInSeconds")


def cost_totals(rows: list[TrialRow]) -> str | None:
    """The sweep's training, billable seconds and spot savings, over the trials whose job reported them."""
    costed = [r for r in rows if r.training_seconds is not None and r.billable_seconds is not None]
    if not costed:
        return None
    training = sum(r.training_seconds or 0 for r in costed)
    billable = sum(r.billable_seconds or 0 for r in costed)
    savings = spot_savings(training, billable)
    return (
        f"cost: {training} s training, {billable} s billable"
        + (f", spot savings {savings:.0f}%" if savings is not None else "")
        + f" ({len(costed)} of {len(rows)} trials)"
    )


def load_rows(sagemaker, experiment_name: str, *, all_attempts: bool = False) -> list[TrialRow]:
    """The notebook's ExperimentAnalytics dataframe (DisplayName "Training"): one row per trial, its latest
    training attempt (the last component made); with `all_attempts`, one row per attempt."""
    records.describe_experiment(sagemaker, experiment_name)
    rows: list[TrialRow] = []
    # A component is listed once with every trial it belongs to (Parents): each trial's training
    # components, in creation order, are its attempts.
    trainings_of: dict[str, list[dict]] = {}
    for component in records.experiment_components(sagemaker, experiment_name):
        if not records.is_training(component):
            continue
        for parent in component.get("Parents") or []:
            if parent.get("ExperimentName") == experiment_name:
                trainings_of.setdefault(parent["TrialName"], []).append(component)
    for trial_name, trainings in trainings_of.items():
        for attempt, component in enumerate(trainings, start=1):
            if attempt < len(trainings) and not all_attempts:
                continue
            status = component.get("Status") or {}
            rows.append(
                TrialRow(
                    trial=trial_name,
                    trial_component=component["TrialComponentName"],
                    training_job=records.training_job_name(component),
                    status=status.get("PrimaryStatus", "Unknown"),
                    parameters={
                        name: records.parameter_value(value)
                        for name, value in (component.get("Parameters") or {}).items()
                        if not name.startswith(SAGEMAKER_PARAMETER_PREFIX)
                    },
                    metrics=records.final_metrics(component),
                    failure_reason=records.failure_reason(component),
                    attempt=attempt,
                    attempts=len(trainings),
                )
            )
    add_costs(sagemaker, rows)
    return rows


def sort_rows(rows: list[TrialRow], objective: str, goal: str) -> list[TrialRow]:
    """Best first; trials without the metric (failed, still running) last, by name."""
    scored = [r for r in rows if isinstance(r.metrics.get(objective), (int, float))]
    unscored = sorted((r for r in rows if r not in scored), key=lambda r: r.trial)
    return sorted(scored, key=lambda r: r.metrics[objective], reverse=goal == "Maximize") + unscored


def parameter_names(rows: list[TrialRow]) -> list[str]:
    return sorted({name for row in rows for name in row.parameters})


def metric_names(rows: list[TrialRow], objective: str) -> list[str]:
    others = sorted({name for row in rows for name in row.metrics} - {objective})
    return [objective, *others]


def varying_parameters(rows: list[TrialRow]) -> list[str]:
    return [name for name in parameter_names(rows) if len({json.dumps(row.parameters.get(name)) for row in rows}) > 1]


def render_table(rows: list[TrialRow], *, experiment: str, objective: str, goal: str, width: int) -> Table:
    """Varying hyperparameters as columns; the ones every trial shares in the caption. On a
    terminal narrower than the table, the training job column goes first (CSV/JSON keep it)."""
    varying = varying_parameters(rows)
    shared = (
        {name: rows[0].parameters.get(name) for name in parameter_names(rows) if name not in varying} if rows else {}
    )
    metrics = metric_names(rows, objective)

    costs = cost_totals(rows)

    def build(with_job: bool, shown_metrics: list[str], with_costs: bool = True) -> Table:
        with_costs = with_costs and costs is not None
        left_out = (
            ([] if with_job else ["training job"])
            + ([] if with_costs or costs is None else ["train s", "billable s", "spot %"])
            + [m for m in metrics if m not in shown_metrics]
        )
        notes = [
            ("shared: " + ", ".join(f"{k}={v}" for k, v in shared.items())) if shared else "",
            costs or "",
            f"(left out, terminal too narrow: {', '.join(left_out)}; see --csv/--json)" if left_out else "",
        ]
        table = Table(
            title=f"{experiment}: {len(rows)} trials, best {objective} ({goal}) first",
            title_justify="left",
            caption="\n".join(n for n in notes if n) or None,
            caption_justify="left",
            box=box.SIMPLE_HEAD,
            padding=(0, 1),
        )
        table.add_column("trial", no_wrap=True)
        for name in varying:
            table.add_column(name, justify="right", no_wrap=True)
        for name in shown_metrics:
            table.add_column(name, justify="right", style="bold" if name == objective else None, no_wrap=True)
        if with_costs:
            for name in ("train s", "billable s", "spot %"):
                table.add_column(name, justify="right", no_wrap=True)
        table.add_column("status", no_wrap=True)
        if with_job:
            table.add_column("training job", no_wrap=True)
        for row in rows:
            savings = row.spot_savings_percent
            table.add_row(
                row.label,
                *(_cell(row.parameters.get(n)) for n in varying),
                *(_cell(row.metrics.get(n)) for n in shown_metrics),
                *(
                    [
                        _cell(row.training_seconds),
                        _cell(row.billable_seconds),
                        "" if savings is None else f"{savings:.0f}",
                    ]
                    if with_costs
                    else []
                ),
                row.status,
                *([row.training_job] if with_job else []),
            )
        return table

    # Narrower and narrower: all columns, then without the job name, then without the per-trial costs
    # (the totals stay in the caption), then the objective as only metric.
    candidates = [
        build(True, metrics),
        build(False, metrics),
        build(False, metrics, with_costs=False),
        build(False, [objective], with_costs=False),
    ]
    return next((table for table in candidates if natural_width(table) <= width), candidates[-1])


def natural_width(table: Table) -> int:
    """The width a table takes unwrapped."""
    console = Console(width=10_000)
    return Measurement.get(console, console.options, table).maximum


def write_csv(rows: list[TrialRow], path: Path, objective: str) -> None:
    params, metrics = parameter_names(rows), metric_names(rows, objective)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "trial",
                "attempt",
                "trial_component",
                "training_job",
                "status",
                *params,
                *metrics,
                "failure_reason",
                "training_seconds",
                "billable_seconds",
                "spot_savings_percent",
            ]
        )
        for row in rows:
            savings = row.spot_savings_percent
            writer.writerow(
                [
                    row.trial,
                    row.attempt,
                    row.trial_component,
                    row.training_job,
                    row.status,
                    *(row.parameters.get(n, "") for n in params),
                    *(row.metrics.get(n, "") for n in metrics),
                    row.failure_reason or "",
                    "" if row.training_seconds is None else row.training_seconds,
                    "" if row.billable_seconds is None else row.billable_seconds,
                    "" if savings is None else round(savings, 1),
                ]
            )


def write_json(rows: list[TrialRow], path: Path, *, experiment: str, objective: str, goal: str) -> None:
    document = {
        "experimentName": experiment,
        "objective": {"metric": objective, "goal": goal},
        "trials": [{**asdict(row), "spotSavingsPercent": row.spot_savings_percent} for row in rows],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def plot(rows: list[TrialRow], path: Path, *, x: str | None, experiment: str, objective: str, goal: str) -> str:
    """Draws the objective against one hyperparameter; returns the hyperparameter drawn."""
    if x is None:
        varying = varying_parameters(rows)
        if len(varying) != 1:
            raise InvalidUsage(f"--plot needs --x HYPERPARAMETER (varying: {', '.join(varying) or 'none'})")
        x = varying[0]
    if rows and x not in parameter_names(rows):
        raise InvalidUsage(f"--x {x}: no trial has that parameter (have: {', '.join(parameter_names(rows))})")
    points = [
        (row.parameters[x], row.metrics[objective])
        for row in rows
        if x in row.parameters and isinstance(row.metrics.get(objective), (int, float))
    ]
    if not points:
        raise OperatorError(f"no completed trial of {experiment} has {objective}: nothing to plot")

    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed
    from matplotlib import pyplot as plt

    numeric = all(isinstance(px, (int, float)) for px, _ in points)
    points.sort(key=lambda p: p[0] if numeric else str(p[0]))
    xs = [px if numeric else str(px) for px, _ in points]
    ys = [py for _, py in points]
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=100)
    axes.plot(xs, ys, marker="o", linestyle="-" if numeric else "none")
    best = max(points, key=lambda p: p[1]) if goal == "Maximize" else min(points, key=lambda p: p[1])
    axes.scatter(
        [best[0] if numeric else str(best[0])],
        [best[1]],
        s=160,
        facecolors="none",
        edgecolors="red",
        label=f"best: {x}={best[0]}, {objective}={best[1]:g}",
    )
    if numeric and len(set(xs)) <= 12:
        axes.set_xticks(sorted(set(xs)))  # the values tried, not matplotlib's round numbers
    axes.set_xlabel(x)
    axes.set_ylabel(objective)
    axes.set_title(f"{experiment}: {objective} by {x}")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="best")
    figure.tight_layout()
    try:
        figure.savefig(path, format="png")
    except OSError as error:
        raise OperatorError(f"--plot {path}: cannot write it ({error.strerror})") from None
    finally:
        plt.close(figure)
    return x


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
