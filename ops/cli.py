"""The operator CLI's group: global options, one-line errors, and the commands (ops/cli_runs.py, ops/cli_records.py)."""

from __future__ import annotations

import sys

import click
from botocore.exceptions import BotoCoreError, ClientError

from ops import cli_records, cli_runs
from ops.cli_support import PROGRAM
from ops.deployment import DEFAULT_STACK_PREFIX, AwsAccess
from ops.errors import OperatorError, explain_aws_error


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


for _command in (
    cli_runs.start,
    cli_runs.rerun,
    cli_runs.preflight,
    cli_runs.watch,
    cli_records.compare,
    cli_records.lineage,
    cli_records.experiments,
    cli_records.mlflow_ui,
    cli_runs.cleanup,
):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name=PROGRAM)
