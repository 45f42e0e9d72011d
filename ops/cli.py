"""The operator CLI: start, rerun, watch, compare, lineage, experiments and cleanup against the deployed stacks."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from ops import (
    capacity_preflight,
    cleanup_watch,
    execution_input,
    execution_watch,
    experiment_records,
    failure_locations,
    trial_analytics,
    trial_lineage,
)
from ops.deployment import DEFAULT_STACK_PREFIX, AwsAccess, local_max_trials
from ops.errors import InvalidUsage, OperatorError, explain_aws_error

PROGRAM = "python -m ops"
UNBOUNDED_TRIALS = 10_000  # the pre-check leaves the trial limit to the deployment


class OperatorGroup(click.Group):
    """Every error an operator can act on ends as one `Error: ...` line and a non-zero exit."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name or PROGRAM, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.ctx.get_help() if error.ctx else str(error), err=True)
            sys.exit(2)
        except click.ClickException as error:
            # click's usage errors print usage and a hint over several lines; one line says it all.
            hint = (
                f" (see `{error.ctx.command_path} --help`)" if isinstance(error, click.UsageError) and error.ctx else ""
            )
            _fail(error.format_message() + hint, error.exit_code)
        except click.Abort:
            _fail("aborted", 1)
        except OperatorError as error:
            _fail(str(error), error.exit_code)
        except (BotoCoreError, ClientError) as error:
            line = explain_aws_error(error)
            if line is None:
                raise
            _fail(line, 1)
        sys.exit(result if isinstance(result, int) else 0)


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _console() -> Console:
    return Console(highlight=False)


def _again(ctx: click.Context, *arguments: str) -> str:
    """The command line to run next, with the same global options as this one."""
    aws: AwsAccess = ctx.obj
    options = []
    if aws.endpoint_url:
        options += ["--endpoint-url", aws.endpoint_url]
    if aws.region:
        options += ["--region", aws.region]
    if aws.stack_prefix != DEFAULT_STACK_PREFIX:
        options += ["--stack-prefix", aws.stack_prefix]
    return " ".join([PROGRAM, *map(shlex.quote, options), *map(shlex.quote, arguments)])


@click.group(cls=OperatorGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--endpoint-url",
    envvar=None,
    metavar="URL",
    help="AWS endpoint (the local cloud's); default: AWS_ENDPOINT_URL or the real AWS endpoints.",
)
@click.option("--region", metavar="REGION", help="AWS region; default: AWS_REGION / AWS_DEFAULT_REGION / profile.")
@click.option(
    "--stack-prefix",
    default=DEFAULT_STACK_PREFIX,
    show_default=True,
    help="Context `stackPrefix` the stacks were deployed with (<prefix>Data, <prefix>Pipeline).",
)
@click.pass_context
def cli(ctx: click.Context, endpoint_url: str | None, region: str | None, stack_prefix: str) -> None:
    """Run and inspect SageMaker experiments on the deployed stacks (AWS or the local cloud)."""
    ctx.obj = AwsAccess(endpoint_url=endpoint_url, region=region, stack_prefix=stack_prefix)


# --- start ----------------------------------------------------------------------------------------
@cli.command()
@click.option(
    "--grid",
    multiple=True,
    metavar="NAME=V1,V2,...",
    help="Hyperparameter values to try; repeat for more names (one trial per combination).",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Hyperparameter shared by every trial; repeatable.",
)
@click.option("--objective", metavar="METRIC", help="Metric that picks the best trial (default test:accuracy).")
@click.option("--goal", metavar="max|min", help="Maximize or minimize the objective (default max).")
@click.option("--experiment", metavar="NAME", help="Experiment name (the state machine's default otherwise).")
@click.option("--dataset", metavar="S3_URI", help="Raw dataset prefix (default: the bucket's sample dataset).")
@click.option(
    "--input",
    "input_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.json",
    help="Execution input as JSON; flags given as well override its fields.",
)
@click.option("--name", metavar="NAME", help="Execution name (default: <experiment>-<UTC timestamp>).")
@click.option("--watch", "then_watch", is_flag=True, help="Watch the execution until it ends.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.0),
    default=execution_watch.DEFAULT_INTERVAL_SECONDS,
    show_default=True,
    help="Seconds between polls when watching.",
)
@click.option(
    "--skip-preflight", is_flag=True, help="Start without checking SageMaker quotas and Lambda concurrency first."
)
@click.pass_context
def start(
    ctx, grid, assignments, objective, goal, experiment, dataset, input_file, name, then_watch, interval, skip_preflight
):
    """Start a training execution: one trial per hyperparameter variant.

    \b
    Example:
      python -m ops start --experiment mnist-cnn --grid hidden_channels=2,5,10,20,32 \\
          --set epochs=2 --objective test:accuracy --goal max
    """
    raw = execution_input.build_input(
        input_file=input_file,
        grid=grid,
        assignments=assignments,
        experiment=experiment,
        objective=objective,
        goal=goal,
        dataset=dataset,
    )
    # Checked before any AWS call, with the same code the state machine's first state runs. The
    # trial limit is the deployment's (a stack deployed with -c maxTrials=50 takes 50 trials), so
    # here it only bounds the count by what any deployment could take.
    checked = execution_input.check(raw, max_trials=UNBOUNDED_TRIALS)
    execution = (
        execution_input.check_execution_name(name) if name else execution_input.execution_name(checked.experiment_name)
    )
    _start_execution(
        ctx,
        raw,
        execution,
        trials=len(checked.trials),
        new_trials=len(checked.trials),
        experiment_name=checked.experiment_name,
        then_watch=then_watch,
        interval=interval,
        skip_preflight=skip_preflight,
    )


def _start_execution(
    ctx: click.Context,
    raw: dict,
    execution: str,
    *,
    trials: int,
    new_trials: int,
    experiment_name: str,
    then_watch: bool,
    interval: float,
    skip_preflight: bool,
) -> None:
    """Checks the input against the deployment, the experiment's quota and the account's capacity, then
    starts the training execution (and watches it)."""
    aws: AwsAccess = ctx.obj
    deployment = aws.deployment()
    # Again with the deployment's own limit (cdk.json's when it cannot be read) and bucket, and the
    # names the execution name yields; still before anything is started.
    execution_input.check_plan(
        raw,
        execution_name=execution,
        bucket_name=deployment.bucket_name,
        max_trials=deployment.max_trials or local_max_trials(),
    )
    # The experiment's trials quota, counted as ValidateInput counts it: a refused start creates nothing.
    execution_input.check_experiment_capacity(
        experiment_name,
        existing_trials=experiment_records.trial_count(aws.sagemaker, experiment_name),
        new_trials=new_trials,
    )
    if not skip_preflight:
        _preflight(aws, deployment, trials=trials, console=Console(stderr=True, highlight=False))
    try:
        started = aws.stepfunctions.start_execution(
            stateMachineArn=deployment.training_state_machine_arn, name=execution, input=json.dumps(raw)
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
            raise InvalidUsage(f"an execution named {execution} already exists: pass another --name") from None
        raise
    console = _console()
    console.print(
        f"Started execution [bold]{execution}[/] ({_count(trials, 'trial')}, experiment {experiment_name})",
        soft_wrap=True,
    )
    console.print(f"  {started['executionArn']}", soft_wrap=True)
    console.print(f"Watch it: {_again(ctx, 'watch', execution)}", soft_wrap=True)
    if then_watch:
        ctx.invoke(watch, execution=started["executionArn"], interval=interval)


# --- rerun ----------------------------------------------------------------------------------------
@cli.command()
@click.argument("execution")
@click.option("--name", metavar="NAME", help="Execution name (default: <execution>-rerun-<UTC timestamp>).")
@click.option("--watch", "then_watch", is_flag=True, help="Watch the execution until it ends.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.0),
    default=execution_watch.DEFAULT_INTERVAL_SECONDS,
    show_default=True,
    help="Seconds between polls when watching.",
)
@click.option(
    "--skip-preflight", is_flag=True, help="Start without checking SageMaker quotas and Lambda concurrency first."
)
@click.pass_context
def rerun(ctx, execution, name, then_watch, interval, skip_preflight):
    """Train again only the failed trials of a finished execution (name or ARN), then pick the best
    over every completed trial of the sweep and run the batch transform with it.

    The failed trials train under new job names in the same trials of the same experiment; completed
    trials are never retrained. The experiment keeps every attempt: `compare` shows each trial's latest,
    `compare --all-attempts` all of them.
    """
    aws: AwsAccess = ctx.obj
    candidates = (
        [execution]
        if execution.startswith("arn:")
        else execution_watch.execution_arn(execution, [aws.deployment().training_state_machine_arn])
    )
    description = execution_watch.describe(aws.stepfunctions, candidates, execution)
    raw = execution_input.rerun_input(description)
    checked = execution_input.check(raw, max_trials=UNBOUNDED_TRIALS)
    new_name = execution_input.check_execution_name(name) if name else execution_input.rerun_name(description["name"])
    console = _console()
    console.print(
        f"Rerunning {_count(len(checked.trials), 'failed trial')} of {description['name']} "
        f"({_count(len(raw['rerun']['completed']), 'completed trial')} kept)",
        soft_wrap=True,
    )
    _start_execution(
        ctx,
        raw,
        new_name,
        trials=len(checked.trials),
        new_trials=0,  # the same trials: none is new
        experiment_name=checked.experiment_name,
        then_watch=then_watch,
        interval=interval,
        skip_preflight=skip_preflight,
    )


def _preflight(aws: AwsAccess, deployment, *, trials: int, console: Console) -> None:
    """Prints what the account's quotas allow; raises CapacityRefused when one job cannot start."""
    report = capacity_preflight.run_preflight(aws, deployment, trials=trials)
    for line in report.lines:
        console.print(f"preflight: {line}", soft_wrap=True)
    for warning in report.warnings:
        console.print(f"Warning: {warning}", soft_wrap=True)
    if report.refusals:
        raise capacity_preflight.CapacityRefused(capacity_preflight.refusal_message(report))


# --- preflight ------------------------------------------------------------------------------------
@cli.command()
@click.option(
    "--trials", type=click.IntRange(min=1), default=1, show_default=True, help="Trials the execution would run."
)
@click.pass_context
def preflight(ctx, trials: int):
    """Check SageMaker instance quotas (and reserved Lambda concurrency) against the deployed stacks.

    What `start` checks before it starts an execution; exits 1 when a job could not start.
    """
    aws: AwsAccess = ctx.obj
    _preflight(aws, aws.deployment(), trials=trials, console=_console())
    _console().print("preflight: OK", soft_wrap=True)


# --- watch ----------------------------------------------------------------------------------------
@cli.command()
@click.argument("execution")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.0),
    default=execution_watch.DEFAULT_INTERVAL_SECONDS,
    show_default=True,
    help="Seconds between polls.",
)
@click.pass_context
def watch(ctx, execution: str, interval: float):
    """Follow an execution (name or ARN) until it ends; exit 1 when it fails."""
    aws: AwsAccess = ctx.obj
    if execution.startswith("arn:"):
        candidates = [execution]
    else:
        deployment = aws.deployment()
        candidates = execution_watch.execution_arn(
            execution, [deployment.training_state_machine_arn, deployment.cleanup_state_machine_arn]
        )
    description = execution_watch.describe(aws.stepfunctions, candidates, execution)
    is_training = isinstance(json.loads(description.get("input") or "{}").get("trials"), list)
    _follow(ctx, description, interval=interval, training=is_training)


def _follow(ctx: click.Context, description: dict, *, interval: float, training: bool) -> None:
    aws: AwsAccess = ctx.obj
    console = _console()
    if training:
        variants = json.loads(description.get("input") or "{}").get("trials") or []
        factory: Callable[[Any, Any], Any] = lambda c, d: execution_watch.TrainingView(c, variants)  # noqa: E731
        checkpoint = None
    else:
        factory, checkpoint = cleanup_watch.CleanupView, cleanup_watch.CHECKPOINT_STATE
    try:
        final, progress = execution_watch.watch_execution(
            aws.stepfunctions,
            description,
            console=console,
            interval=interval,
            view_factory=factory,
            checkpoint_state=checkpoint,
        )
    except KeyboardInterrupt:
        console.print(
            f"Stopped watching; the execution goes on. Resume: {_again(ctx, 'watch', description['name'])}",
            soft_wrap=True,
        )
        ctx.exit(130)
    if final["status"] != "SUCCEEDED":
        failure = progress.failure
        locations = failure_locations.look_up(
            aws,
            final,
            state=failure.state if failure else None,
            cause=(failure.cause if failure else None) or final.get("cause") or "",
        )
        execution_watch.report_failure(console, final, progress, where_to_look=locations.lines())
        ctx.exit(1)
    if training:
        execution_watch.report_training_outcome(console, final)
        experiment = json.loads(final.get("output") or "{}").get("experimentName")
        if experiment:
            console.print(f"Compare the trials: {_again(ctx, 'compare', experiment)}", soft_wrap=True)
    else:
        cleanup_watch.report_outcome(console, final)


# --- compare --------------------------------------------------------------------------------------
@cli.command()
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
    console = _console()
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
@cli.command()
@click.argument("trial")
@click.pass_context
def lineage(ctx, trial: str):
    """Show a trial's lineage: dataset -> preprocessing -> training job -> model -> transform output."""
    aws: AwsAccess = ctx.obj
    _console().print(trial_lineage.load(aws.sagemaker, trial).tree())


# --- experiments ----------------------------------------------------------------------------------
@cli.command()
@click.pass_context
def experiments(ctx):
    """List experiments with their trial counts and creation times, newest first."""
    aws: AwsAccess = ctx.obj
    summaries = sorted(
        experiment_records.experiments(aws.sagemaker),
        key=lambda e: e.get("CreationTime") or datetime.min.replace(tzinfo=UTC),
        reverse=True,
    )
    console = _console()
    if not summaries:
        console.print(f"No experiments in {aws.where}.")
        return
    table = Table(title=_count(len(summaries), "experiment"), title_justify="left")
    for column in ("experiment", "trials", "created (UTC)", "last modified (UTC)"):
        table.add_column(column, justify="right" if column == "trials" else "left")
    for summary in summaries:
        name = summary["ExperimentName"]
        table.add_row(
            name,
            str(len(experiment_records.trials(aws.sagemaker, name))),
            _utc(summary.get("CreationTime")),
            _utc(summary.get("LastModifiedTime")),
        )
    console.print(table)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


# --- cleanup --------------------------------------------------------------------------------------
@cli.command()
@click.argument("experiment")
@click.option("--yes", is_flag=True, help="Delete without asking.")
@click.option("--keep-components", is_flag=True, help="Keep the trial components (delete trials and experiment).")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.0),
    default=execution_watch.DEFAULT_INTERVAL_SECONDS,
    show_default=True,
    help="Seconds between polls.",
)
@click.pass_context
def cleanup(ctx, experiment: str, yes: bool, keep_components: bool, interval: float):
    """Delete an experiment's records (components, trials, experiment) with the cleanup state machine."""
    aws: AwsAccess = ctx.obj
    deployment = aws.deployment()
    experiment_records.describe_experiment(aws.sagemaker, experiment)
    if not yes:
        count = len(experiment_records.trials(aws.sagemaker, experiment))
        what = "its trials" if keep_components else "its trials and trial components"
        try:
            confirmed = click.confirm(
                f"Delete experiment {experiment}, {what} ({_count(count, 'trial')})?", default=False, err=True
            )
        except click.Abort:
            click.echo(err=True)  # end the unanswered prompt's line
            raise OperatorError(
                f"not deleting {experiment} without confirmation: answer the prompt or pass --yes"
            ) from None
        if not confirmed:
            raise OperatorError(f"cancelled: nothing of {experiment} was deleted")
    name = execution_input.execution_name(f"cleanup-{experiment}")
    started = aws.stepfunctions.start_execution(
        stateMachineArn=deployment.cleanup_state_machine_arn,
        name=name,
        input=json.dumps({"experimentName": experiment, "keepComponents": keep_components}),
    )
    console = _console()
    console.print(f"Started cleanup [bold]{name}[/]", soft_wrap=True)
    description = aws.stepfunctions.describe_execution(executionArn=started["executionArn"])
    _follow(ctx, description, interval=interval, training=False)


def main() -> None:
    cli(prog_name=PROGRAM)
