"""The synthesized state machines against the contract: every state the CLI and the local cloud name exists,
every JSONPath resolves against the model of its state's input, and each Lambda state sends what its
function's event model accepts. A renamed state or a changed field fails here, not in an execution."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from contract import events, functions, schema, states
from tests.infra.templates import state_machine_definition, walk_states

TRAINING_STATES = {
    states.VALIDATE_INPUT,
    states.RECORD_EXPERIMENT,
    states.PREPROCESS,
    states.RECORD_PREPROCESSING,
    states.RECORD_PREPROCESSING_FAILURE,
    states.PREPROCESSING_FAILED,
    states.TRAIN_TRIALS,
    states.SELECT_BEST,
    states.CREATE_MODEL,
    states.TRANSFORM,
    states.RECORD_TRANSFORM,
    states.TRANSFORM_NOT_RECORDED,
    states.SUMMARIZE,
    states.RECORD_TRIAL,
    states.TRAIN,
    states.TRAINED,
    states.NOT_TRAINED,
    states.RECORD_TRAINING,
    states.TRIAL_RESULT,
    states.TRAINING_JOB_EXISTS,
    states.DESCRIBE_TRAINING_JOB,
    states.ADOPTED_JOB_ENDED,
    states.WAIT_FOR_ADOPTED_JOB,
    states.ADOPTED_JOB_FAILED,
}
CLEANUP_STATES = {states.DELETE_RECORDS, states.CLEANUP_DONE_CHOICE, states.DELETED}
PATH = re.compile(r"\$(?:\.[A-Za-z0-9_]+|\[\d+\])*")


@pytest.fixture(scope="module")
def training(synthesized):
    return state_machine_definition(synthesized.pipeline, "TrainingStateMachine")


@pytest.fixture(scope="module")
def cleanup(synthesized):
    return state_machine_definition(synthesized.pipeline, "CleanupStateMachine")


def input_models(definition: dict) -> dict[str, type | None]:
    """The model of each state's input: the first state reads the raw execution input (None: not
    modelled), the top-level states the PipelineState, those inside TrainTrials a TrialIteration."""
    models: dict[str, type | None] = dict.fromkeys(definition["States"], events.PipelineState)
    models[definition["StartAt"]] = None
    for state in definition["States"].values():
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            models.update({name: events.TrialIteration for name, _ in walk_states(processor)})
    return models


def input_paths(state: dict) -> list[tuple[str, str]]:
    """(where, JSONPath) of every path that reads the state's input: Parameters/ItemSelector values
    (intrinsic functions included), InputPath, ItemsPath, a Fail's CausePath, Choice variables."""
    found: list[tuple[str, str]] = []

    def template_paths(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key.endswith(".$") and isinstance(item, str):
                    found.extend((f"{where}.{key}", p) for p in PATH.findall(item) if not item.startswith("$$"))
                else:
                    template_paths(item, f"{where}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                template_paths(item, f"{where}[{i}]")

    template_paths(state.get("Parameters"), "Parameters")
    template_paths(state.get("ItemSelector"), "ItemSelector")
    for key in ("InputPath", "ItemsPath", "CausePath"):
        if isinstance(state.get(key), str):
            found.append((key, state[key]))

    for i, choice in enumerate(state.get("Choices", [])):
        found += condition_paths(choice, f"Choices[{i}]")
    return found


def condition_paths(rule: dict, where: str) -> list[tuple[str, str]]:
    """(where, JSONPath) of a Choice rule's Variable, or of the rules it combines (And / Or: lists, Not: one)."""
    found = [(f"{where}.Variable", rule["Variable"])] if "Variable" in rule else []
    for key in ("And", "Or"):
        for j, inner in enumerate(rule.get(key, [])):
            found += condition_paths(inner, f"{where}.{key}[{j}]")
    if "Not" in rule:
        found += condition_paths(rule["Not"], f"{where}.Not")
    return found


def result_paths(state: dict) -> list[tuple[str, str]]:
    """(where, JSONPath) of every place a state writes into its input (ResultPath, each Catch's)."""
    found = [("ResultPath", state["ResultPath"])] if isinstance(state.get("ResultPath"), str) else []
    found += [(f"Catch[{i}].ResultPath", c["ResultPath"]) for i, c in enumerate(state.get("Catch", []))]
    return found


def contract_breaches(definition: dict) -> list[str]:
    """What in a training definition breaks the contract, as lines naming the state and the path."""
    breaches = [
        f"state {name} is missing" for name in sorted(TRAINING_STATES - {n for n, _ in walk_states(definition)})
    ]
    models = input_models(definition)
    for name, state in walk_states(definition):
        model = models.get(name)
        if model is None:
            continue
        for where, path in input_paths(state) + [rp for rp in result_paths(state) if rp[1] != "$"]:
            try:
                schema.resolve(model, path)
            except KeyError as missing:
                breaches.append(f"{name} {where}: {missing.args[0]}")
        breaches += lambda_breaches(name, state, model)
    return breaches


def lambda_breaches(name: str, state: dict, model: type) -> list[str]:
    """A Lambda state's Payload against its function's event model: every key a field, every required
    field present, each path's type the field's type."""
    if state.get("Resource", "").split(":")[-1] != "invoke":
        return []
    function = function_of(state)
    payload = state["Parameters"].get("Payload.$") or state["Parameters"].get("Payload")
    if function.event is None or payload is None:
        return [] if function.event is None else [f"{name}: no Payload"]
    if isinstance(payload, str):  # the whole input: it must carry every field the event needs
        return [] if issubclass(model, function.event) else [f"{name}: sends {model.__name__}, not {function.event}"]
    fields = {schema.json_name(f): (f, kind) for f, kind in schema.fields_of(function.event)}
    breaches = []
    sent = {key.removesuffix(".$"): value for key, value in payload.items()}
    for key in sorted(set(sent) - set(fields)):
        breaches.append(f"{name}: Payload.{key} is not a field of {function.event.__name__}")
    for key, (f, kind) in fields.items():
        if key not in sent and schema.is_required(f, kind):
            breaches.append(f"{name}: Payload lacks {function.event.__name__}.{key}")
    for key, value in payload.items():
        if not key.endswith(".$") or key.removesuffix(".$") not in fields or value.startswith("$$"):
            continue
        expected = fields[key.removesuffix(".$")][1]
        got = schema.resolve(model, value)
        if not _fits(_plain(got), _plain(expected)):
            breaches.append(f"{name}: Payload.{key} is {got!r} at {value}, the event wants {expected!r}")
    return breaches


def function_of(state: dict) -> functions.Function:
    """The contract function a Lambda state invokes (its FunctionName is the function's GetAtt)."""
    target = state["Parameters"]["FunctionName"]
    matches = [f for f in functions.ALL_FUNCTIONS if _camel(f.name) in target]
    assert len(matches) == 1, target
    return matches[0]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _fits(got: Any, expected: Any) -> bool:
    """A path's type fits a field's when equal, or a model that extends the field's (the whole state as a plan)."""
    if isinstance(got, type) and isinstance(expected, type):
        return issubclass(got, expected)
    return got == expected


def _plain(kind: Any) -> Any:
    return schema.optional_inner(kind) or kind


def test_every_state_the_cli_and_the_local_cloud_name_exists(training, cleanup):
    assert {name for name, _ in walk_states(training)} >= TRAINING_STATES
    assert {name for name, _ in walk_states(cleanup)} >= CLEANUP_STATES
    assert set(states.JOB_NAME_FIELD_OF_STATE) <= TRAINING_STATES
    assert states.LAMBDA_STATES <= TRAINING_STATES | CLEANUP_STATES


def test_the_lambda_states_are_the_ones_contract_states_lists(training, cleanup):
    invoking = {
        name
        for definition in (training, cleanup)
        for name, state in walk_states(definition)
        if state.get("Resource", "").endswith(":invoke")
    }
    assert invoking == states.LAMBDA_STATES


def test_every_jsonpath_resolves_and_every_lambda_gets_its_event_model(training):
    assert contract_breaches(training) == []


def test_every_lambda_state_is_checked_against_an_event_model(training):
    checked = {
        function_of(state).name
        for _, state in walk_states(training)
        if state.get("Resource", "").endswith(":invoke") and function_of(state).event is not None
    }
    assert checked == {f.name for f in functions.ALL_FUNCTIONS if f.event is not None} - {"cleanup_experiment"}


def test_the_executions_output_is_the_contracts_execution_output(training):
    parameters = training["States"][states.SUMMARIZE]["Parameters"]
    keys = {key.removesuffix(".$") for key in parameters}
    assert keys == {schema.json_name(f) for f, _ in schema.fields_of(events.ExecutionOutput)}


def test_a_renamed_state_is_caught(training):
    renamed = json.loads(json.dumps(training).replace(f'"{states.NOT_TRAINED}"', '"TrainingFailed"'))
    assert f"state {states.NOT_TRAINED} is missing" in contract_breaches(renamed)


def test_a_changed_jsonpath_field_is_caught(training):
    changed = json.loads(json.dumps(training).replace("$.preprocessing.outputS3Uri", "$.preprocessing.outputUri"))
    assert any("PreprocessingPlan has no field 'outputUri'" in line for line in contract_breaches(changed))


def test_a_payload_the_function_does_not_read_is_caught(training):
    changed = copy.deepcopy(training)
    payload = changed["States"][states.RECORD_PREPROCESSING]["Parameters"]["Payload"]
    del payload["status"]
    payload["state.$"] = "$.experimentName"
    breaches = contract_breaches(changed)
    assert f"{states.RECORD_PREPROCESSING}: Payload.state is not a field of RecordPreprocessingEvent" in breaches
    assert f"{states.RECORD_PREPROCESSING}: Payload lacks RecordPreprocessingEvent.status" in breaches
