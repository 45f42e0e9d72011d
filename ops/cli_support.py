"""What every command of the operator CLI shares: the console, the next command to run, counts and times."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime

import click
from rich.console import Console

from ops.deployment import DEFAULT_STACK_PREFIX, AwsAccess

PROGRAM = "python -m ops"
UNBOUNDED_TRIALS = 10_000  # the pre-check leaves the trial limit to the deployment


def console_out() -> Console:
    return Console(highlight=False)


def again(ctx: click.Context, *arguments: str) -> str:
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


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""
