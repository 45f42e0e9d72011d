"""Reading synthesized templates: find resources, parse state machine definitions, normalise."""

from __future__ import annotations

import copy
import json
import re

HASH = re.compile(r"\b[0-9a-f]{64}\b")


def resources(template: dict, type_: str) -> dict[str, dict]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == type_}


def render_tokens(value) -> str:
    """A Fn::Join/Ref/GetAtt expression as text, with each token written as ${...} (no quotes,
    so a token inside a JSON string keeps the JSON valid)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render_tokens(part) for part in parts)
    return "${" + _token(value) + "}"


def _token(value) -> str:
    if isinstance(value, (str, int)):
        return str(value)
    if isinstance(value, list):
        return ",".join(_token(v) for v in value)
    if len(value) != 1:
        return ",".join(f"{k}={_token(v)}" for k, v in value.items())
    ((name, argument),) = value.items()
    if name == "Ref":
        return argument
    if name == "Fn::GetAtt":
        return ".".join(argument)
    return f"{name.removeprefix('Fn::')}({_token(argument)})"


def state_machine_definition(template: dict, logical_id_prefix: str) -> dict:
    """The parsed DefinitionString of the state machine whose logical id starts with the prefix."""
    machines = resources(template, "AWS::StepFunctions::StateMachine")
    (machine,) = [r for lid, r in machines.items() if lid.startswith(logical_id_prefix)]
    return json.loads(render_tokens(machine["Properties"]["DefinitionString"]))


def normalised(template: dict) -> dict:
    """A copy that stays stable across unrelated edits: no asset hashes, no bootstrap/CDK metadata;
    state machine definitions parsed so a diff reads as states."""
    t = copy.deepcopy(template)
    t.get("Parameters", {}).pop("BootstrapVersion", None)
    if not t.get("Parameters"):
        t.pop("Parameters", None)
    t.get("Rules", {}).pop("CheckBootstrapVersion", None)
    if not t.get("Rules"):
        t.pop("Rules", None)
    t.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    if not t.get("Conditions"):
        t.pop("Conditions", None)
    t["Resources"] = {lid: r for lid, r in t["Resources"].items() if r["Type"] != "AWS::CDK::Metadata"}
    for resource in t["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::StepFunctions::StateMachine":
            props["DefinitionString"] = json.loads(render_tokens(props["DefinitionString"]))
    return json.loads(HASH.sub("<asset-hash>", json.dumps(t)))


def walk_states(definition: dict):
    """Every state of a definition, Map item processors included: (name, state)."""
    for name, state in definition["States"].items():
        yield name, state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from walk_states(processor)


def state_order(definition: dict) -> list[str]:
    """The names along the Next chain from StartAt (a Choice's Default as its Next)."""
    order, name = [], definition["StartAt"]
    while name and name not in order:
        order.append(name)
        state = definition["States"][name]
        name = state.get("Next") or state.get("Default")
    return order
