"""What `cleanup` shows while the cleanup state machine deletes an experiment's records, and after."""

from __future__ import annotations

import json

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from contract import states
from ops.execution_progress import ExecutionProgress
from ops.execution_watch import elapsed

# The cleanup state machine: DeleteRecords (one Lambda pass) -> "Done?"; the choice's input is the
# pass's output, so each visit of "Done?" carries the counts so far.
CHECKPOINT_STATE = states.CLEANUP_DONE_CHOICE
DELETED_KINDS = ("associations", "trialComponents", "trials", "experiment")
KEPT_KINDS = ("sharedTrialComponents", "keptTrialComponents")


def counts_text(counts: dict | None, kinds: tuple[str, ...]) -> str:
    counts = counts or {}
    return ", ".join(f"{kind} {_count(counts.get(kind))}" for kind in kinds)


class CleanupView:
    def __init__(self, console: Console, description: dict):
        self.console = console

    def line(self, description: dict, progress: ExecutionProgress) -> str:
        latest = progress.passes[-1] if progress.passes else {}
        return (
            f"{progress.state or '-'}: {len(progress.passes)} passes, "
            f"deleted so far: {counts_text(latest.get('deleted'), DELETED_KINDS)}"
        )

    def render(self, description: dict, progress: ExecutionProgress):
        header = Text.assemble(
            (description["name"], "bold"), "  ", description["status"], f"  elapsed {elapsed(description)}"
        )
        return Group(header, Text(self.line(description, progress)))


def report_outcome(console: Console, description: dict) -> None:
    output = json.loads(description.get("output") or "{}")
    table = Table(title=f"Cleanup of {output.get('experimentName', '')}", title_justify="left")
    table.add_column("records")
    table.add_column("count", justify="right")
    for kind in DELETED_KINDS:
        table.add_row(f"deleted {kind}", _count((output.get("deleted") or {}).get(kind)))
    for kind in KEPT_KINDS:
        table.add_row(f"kept {kind}", _count((output.get("kept") or {}).get(kind)))
    mlflow = output.get("mlflow") or {}  # absent when the stacks run without MLflow
    if "deletedRuns" in mlflow:
        table.add_row("deleted MLflow runs", _count(mlflow["deletedRuns"]))
    console.print(table)
    if mlflow.get("unrecorded"):
        console.print(f"[yellow]{mlflow['unrecorded']}[/]", soft_wrap=True)


def _count(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value if value is not None else 0)
