"""Writes docs/lambda-contracts.md from contract.functions and the models (`python -m contract.docs [FILE]`)."""

from __future__ import annotations

import dataclasses
import inspect
import sys
from pathlib import Path
from typing import Any, get_args, get_origin

from contract import events, functions, schema, states
from contract.run_plan import ExecutionInput

DOC = Path(__file__).resolve().parents[1] / "docs" / "lambda-contracts.md"
INTRO = f"""\
# Lambda event contracts

Generated from `contract/functions.py` and `contract/events.py` by `python -m contract.docs`; a test
fails when this file and the models disagree, so edit the models (their docstrings and field docs),
then run the command.

All functions: `lambdas/<name>/handler.py` exposes `handler(event, context)`; the deployed handler
string is `lambdas.<name>.handler.handler` and the code asset holds `lambdas/` and `contract/` at its
root. Environment: `BUCKET_NAME`, `MAX_TRIALS` (int), `POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_LOG_LEVEL`.
Each handler parses its event into the model below (`InvalidEvent` names the first field at fault)
and the state machine builds each Payload from the same model (`contract.schema.template`), so the
two cannot drift. Optional fields may arrive absent, `null` or `{{}}` (the CDK drops nulls from state
definitions, so a state sends `{{}}`): all three mean "none". Errors a state machine must see by name
are exceptions whose class name is the error name: `InvalidExecutionInput`, `NoCompletedTrial`,
`InvalidEvent`, `FunctionMisconfigured`.

The training state machine's states, in order: {
    ", ".join(
        f"`{name}`"
        for name in (
            states.VALIDATE_INPUT,
            states.RECORD_EXPERIMENT,
            states.PREPROCESS,
            states.RECORD_PREPROCESSING,
            states.TRAIN_TRIALS,
            states.SELECT_BEST,
            states.CREATE_MODEL,
            states.TRANSFORM,
            states.SUMMARIZE,
        )
    )
}. `{states.TRAIN_TRIALS}` is a Distributed Map: its items are the plan's trials file (ValidateInput writes
it under the run's `plan/`), each trial runs as a child execution, and the children's results are written under
the run's `results/` (a manifest and result files), which SelectBest reads; the state carries pointers and
counts, never the trials. In each child: `{states.RECORD_TRIAL}`, `{states.TRAIN}`, then `{states.TRAINED}`
or `{states.NOT_TRAINED}`, then `{states.RECORD_TRAINING}` and `{states.TRIAL_RESULT}`. When Train's Catch
finds that a job of the trial's name exists (`{states.TRAINING_JOB_EXISTS}`), that job is adopted:
`{states.DESCRIBE_TRAINING_JOB}` and `{states.WAIT_FOR_ADOPTED_JOB}` until it ends, then `{states.TRAINED}`
or `{states.ADOPTED_JOB_FAILED}`, then `{states.RECORD_TRAINING}`. Every Lambda state retries
`Lambda.TooManyRequestsException` with backoff; a record state that still fails is caught, its error
kept in a RecordingOutcome, the outcomes file lists it under `unrecorded` and the output counts it.
"""


def render() -> str:
    lines = [INTRO]
    shown: list[type] = []
    for function in functions.ALL_FUNCTIONS:
        lines.append(f"## {function.name}\n")
        lines.append(f"{function.description}.\n")
        if function.notes:
            lines.append(function.notes.strip() + "\n")
        if function.event is None:
            continue
        if function.event.__name__.endswith("Event"):  # the plan's own docstring is under Models
            lines.append(_doc(function.event))
        lines += _table(f"Event: `{function.event.__name__}`", function.event, shown)
        if function.result is not None:
            lines += _table(f"Result: `{function.result.__name__}`", function.result, shown)
    lines.append("## Models\n")
    extra = [ExecutionInput, events.PipelineState, events.TrialIteration, events.TrialResult, events.ExecutionOutput]
    queue = extra + [m for m in shown if m not in extra]
    done: set[type] = set()
    while queue:
        model = queue.pop(0)
        if model in done:
            continue
        done.add(model)
        lines.append(f"### {model.__name__}\n")
        if model.__doc__ and not model.__doc__.startswith(model.__name__ + "("):
            lines.append(inspect.cleandoc(model.__doc__) + "\n")
        nested: list[type] = []
        lines += _rows(model, nested)
        queue += [m for m in nested if m not in done]
    return "\n".join(lines).rstrip() + "\n"


def _doc(model: type) -> str:
    text = inspect.cleandoc(model.__doc__ or "")
    return "" if text.startswith(model.__name__ + "(") else text + "\n"


def _table(title: str, model: type, shown: list[type]) -> list[str]:
    if not _is_model(model):
        return [f"{title}\n"]
    return [f"{title}\n", *_rows(model, shown)]


def _rows(model: type, nested: list[type]) -> list[str]:
    rows = ["| field | type | |", "|---|---|---|"]
    for f, kind in schema.fields_of(model):
        rows.append(f"| `{schema.json_name(f)}` | {_type(kind, nested)} | {f.metadata.get('doc', '')} |")
    return [*rows, ""]


def _type(kind: Any, nested: list[type]) -> str:
    inner = schema.optional_inner(kind)
    if inner is not None:
        return f"{_type(inner, nested)} or null"
    if kind is Any:
        return "any JSON"
    if _is_model(kind):
        if kind not in nested:
            nested.append(kind)
        return f"[{kind.__name__}](#{kind.__name__.lower()})"
    origin = get_origin(kind)
    if origin in (list, tuple):
        return f"list of {_type(get_args(kind)[0], nested)}"
    if origin is dict:
        return f"object of {_type(get_args(kind)[1], nested)}s"
    return {str: "string", float: "number", int: "integer", bool: "boolean"}.get(kind, str(kind))


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and dataclasses.is_dataclass(kind)


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else DOC
    target.write_text(render())
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
