"""The commands that read the records: compare, lineage, experiments."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ops import (
    execution_input,
    experiment_records,
    trial_analytics,
    trial_lineage,
)
from ops.cli_support import console_out, count, utc
from ops.deployment import AwsAccess
from ops.errors import OperatorError


# --- compare --------------------------------------------------------------------------------------
@click.command()
@click.argument("experiment")
@click.option(
    "--objective",
    default=trial_analytics.DEFAULT_OBJECTIVE,
    show_default=True,
    metavar="METRIC",
    help="Metric to sort by (and to plot).",
)
@click.option("--goal", default="max", show_default=True, metavar="max|min", help="Best is the highest or lowest.")
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Also write the table as CSV.",
)
@click.option(
    "--json",
    "json_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Also write the table as JSON.",
)
@click.option(
    "--plot",
    "plot_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.png",
    help="Draw the objective against a hyperparameter (PNG).",
)
@click.option(
    "--x",
    "x_parameter",
    metavar="HYPERPARAMETER",
    help="Hyperparameter on the plot's x axis (default: the one that varies).",
)
@click.option(
    "--all-attempts", is_flag=True, help="One row per training attempt of each trial (reruns), not just the latest."
)
@click.pass_context
def compare(ctx, experiment, objective, goal, csv_file, json_file, plot_file, x_parameter, all_attempts):
    """Compare an experiment's trials: parameters, final metrics, status, sorted by the objective.

    A trial trained again by `rerun` shows its latest attempt (`trial #2`); --all-attempts shows each.
    """
    aws: AwsAccess = ctx.obj
    goal = execution_input.goal_name(goal)
    loaded = trial_analytics.load_rows(aws.sagemaker, experiment, all_attempts=all_attempts)
    rows = trial_analytics.sort_rows(loaded, objective, goal)
    console = console_out()
    if rows:
        console.print(
            trial_analytics.render_table(
                rows, experiment=experiment, objective=objective, goal=goal, width=console.width
            )
        )
    else:
        console.print(f"Experiment {experiment} has no training components yet.")
    _write(csv_file, lambda p: trial_analytics.write_csv(rows, p, objective), console, f"{len(rows)} rows")
    _write(
        json_file,
        lambda p: trial_analytics.write_json(rows, p, experiment=experiment, objective=objective, goal=goal),
        console,
        f"{len(rows)} rows",
    )
    if plot_file:
        x = trial_analytics.plot(rows, plot_file, x=x_parameter, experiment=experiment, objective=objective, goal=goal)
        console.print(f"Wrote {plot_file} ({objective} by {x})", soft_wrap=True)


def _write(path: Path | None, write, console: Console, what: str) -> None:
    if path is None:
        return
    try:
        write(path)
    except OSError as error:
        raise OperatorError(f"cannot write {path}: {error.strerror}") from None
    console.print(f"Wrote {what} to {path}", soft_wrap=True)


# --- lineage --------------------------------------------------------------------------------------
@click.command()
@click.argument("trial")
@click.pass_context
def lineage(ctx, trial: str):
    """Show a trial's lineage: dataset -> preprocessing -> training job -> model -> transform output."""
    aws: AwsAccess = ctx.obj
    console_out().print(trial_lineage.load(aws.sagemaker, trial).tree())


# --- experiments ----------------------------------------------------------------------------------
@click.command()
@click.pass_context
def experiments(ctx):
    """List experiments with their trial counts and creation times, newest first."""
    aws: AwsAccess = ctx.obj
    summaries = sorted(
        experiment_records.experiments(aws.sagemaker),
        key=lambda e: e.get("CreationTime") or datetime.min.replace(tzinfo=UTC),
        reverse=True,
    )
    console = console_out()
    if not summaries:
        console.print(f"No experiments in {aws.where}.")
        return
    table = Table(title=count(len(summaries), "experiment"), title_justify="left")
    for column in ("experiment", "trials", "created (UTC)", "last modified (UTC)"):
        table.add_column(column, justify="right" if column == "trials" else "left")
    for summary in summaries:
        name = summary["ExperimentName"]
        table.add_row(
            name,
            str(len(experiment_records.trials(aws.sagemaker, name))),
            utc(summary.get("CreationTime")),
            utc(summary.get("LastModifiedTime")),
        )
    console.print(table)


# --- mlflow-ui ------------------------------------------------------------------------------------
# CreatePresignedMlflowAppUrl: ExpiresInSeconds "The duration in seconds that your presigned URL is
# valid. The presigned URL can be used only once." (5 to 300); the UI session it opens lasts
# SessionExpirationDurationInSeconds (1800 to 43200).
PRESIGNED_URL_SECONDS = 300
UI_SESSION_SECONDS = 12 * 3600


@click.command("mlflow-ui")
@click.pass_context
def mlflow_ui(ctx):
    """Print a URL that opens the MLflow UI of the deployed MLflow App (single use, valid 5 minutes)."""
    aws: AwsAccess = ctx.obj
    arn = aws.mlflow_app_arn()
    answer = aws.sagemaker.create_presigned_mlflow_app_url(
        Arn=arn, ExpiresInSeconds=PRESIGNED_URL_SECONDS, SessionExpirationDurationInSeconds=UI_SESSION_SECONDS
    )
    console_out().print(answer["AuthorizedUrl"], soft_wrap=True)
