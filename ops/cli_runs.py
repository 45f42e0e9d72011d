"""The commands that start and follow executions: start, rerun, preflight, watch, cleanup."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from botocore.exceptions import ClientError
from rich.console import Console

from ops import (
    capacity_preflight,
    cleanup_watch,
    execution_input,
    execution_watch,
    experiment_records,
    failure_locations,
    sweep_outcomes,
)
from ops.cli_support import UNBOUNDED_TRIALS, again, console_out, count
from ops.deployment import AwsAccess, local_max_trials
from ops.errors import InvalidUsage, OperatorError


def _interval_option(help_text: str):
    return click.option(
        "--interval",
        type=click.FloatRange(min=0.0),
        default=execution_watch.DEFAULT_INTERVAL_SECONDS,
        show_default=True,
        help=help_text,
    )


def _starting_options(command):
    """What every command that starts a training execution takes: watch it, how often, and the preflight."""
    for option in reversed(
        (
            click.option("--watch", "then_watch", is_flag=True, help="Watch the execution until it ends."),
            _interval_option("Seconds between polls when watching."),
            click.option(
                "--skip-preflight",
                is_flag=True,
                help="Start without checking SageMaker quotas and Lambda concurrency first.",
            ),
        )
    ):
        command = option(command)
    return command


# --- start ----------------------------------------------------------------------------------------
@click.command()
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
@_starting_options
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
    console = console_out()
    console.print(
        f"Started execution [bold]{execution}[/] ({count(trials, 'trial')}, experiment {experiment_name})",
        soft_wrap=True,
    )
    console.print(f"  {started['executionArn']}", soft_wrap=True)
    console.print(f"Watch it: {again(ctx, 'watch', execution)}", soft_wrap=True)
    if then_watch:
        ctx.invoke(watch, execution=started["executionArn"], interval=interval)


# --- rerun ----------------------------------------------------------------------------------------
@click.command()
@click.argument("execution")
@click.option("--name", metavar="NAME", help="Execution name (default: <execution>-rerun-<UTC timestamp>).")
@_starting_options
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
    execution_input.check_rerunnable(description)  # before reading outcomes a failed execution lacks
    raw = execution_input.rerun_input(description, sweep_outcomes.outcomes_of(aws.client("s3"), description))
    checked = execution_input.check(raw, max_trials=UNBOUNDED_TRIALS)
    new_name = execution_input.check_execution_name(name) if name else execution_input.rerun_name(description["name"])
    completed = json.loads(description["output"])["outcomes"]["completed"]
    console = console_out()
    console.print(
        f"Rerunning {count(len(checked.trials), 'failed trial')} of {description['name']} "
        f"({count(completed, 'completed trial')} kept)",
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
@click.command()
@click.option(
    "--trials", type=click.IntRange(min=1), default=1, show_default=True, help="Trials the execution would run."
)
@click.pass_context
def preflight(ctx, trials: int):
    """Check SageMaker instance quotas (and reserved Lambda concurrency) against the deployed stacks.

    What `start` checks before it starts an execution; exits 1 when a job could not start.
    """
    aws: AwsAccess = ctx.obj
    _preflight(aws, aws.deployment(), trials=trials, console=console_out())
    console_out().print("preflight: OK", soft_wrap=True)


# --- watch ----------------------------------------------------------------------------------------
@click.command()
@click.argument("execution")
@_interval_option("Seconds between polls.")
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
    console = console_out()
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
            f"Stopped watching; the execution goes on. Resume: {again(ctx, 'watch', description['name'])}",
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
        execution_watch.report_training_outcome(console, final, sweep_outcomes.outcomes_of(aws.client("s3"), final))
        experiment = json.loads(final.get("output") or "{}").get("experimentName")
        if experiment:
            console.print(f"Compare the trials: {again(ctx, 'compare', experiment)}", soft_wrap=True)
    else:
        cleanup_watch.report_outcome(console, final)


# --- cleanup --------------------------------------------------------------------------------------
@click.command()
@click.argument("experiment")
@click.option("--yes", is_flag=True, help="Delete without asking.")
@click.option("--keep-components", is_flag=True, help="Keep the trial components (delete trials and experiment).")
@_interval_option("Seconds between polls.")
@click.pass_context
def cleanup(ctx, experiment: str, yes: bool, keep_components: bool, interval: float):
    """Delete an experiment's records (components, trials, experiment) with the cleanup state machine."""
    aws: AwsAccess = ctx.obj
    deployment = aws.deployment()
    experiment_records.describe_experiment(aws.sagemaker, experiment)
    if not yes:
        trials = len(experiment_records.trials(aws.sagemaker, experiment))
        what = "its trials" if keep_components else "its trials and trial components"
        try:
            confirmed = click.confirm(
                f"Delete experiment {experiment}, {what} ({count(trials, 'trial')})?", default=False, err=True
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
    console = console_out()
    console.print(f"Started cleanup [bold]{name}[/]", soft_wrap=True)
    description = aws.stepfunctions.describe_execution(executionArn=started["executionArn"])
    _follow(ctx, description, interval=interval, training=False)
