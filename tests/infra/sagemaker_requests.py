"""Every SageMaker request of the training state machine, rendered as Step Functions renders it, checked by botocore.

Rendering: CloudFormation's intrinsics in the DefinitionString are resolved to the values a deploy
gives them (account, region, the role's and the key's ARNs, the image URI), then each SageMaker
Task state's Parameters run as a Pass state's Parameters on moto's Step Functions interpreter (the
same JSONPath and intrinsic functions, States.Format included, that the local cloud executes;
Pass and Task Parameters are one "payload template" in the States Language). A state inside the
TrainTrials Map runs inside a copy of that Map (its ItemsPath, ItemSelector and `$$.Map.Item.Value`),
so its input is the one each iteration gets.

Checking: botocore's `ParamValidator` (types, required members, minimum lengths and values), plus
what it leaves out and SageMaker enforces: maximum lengths and values, list and map sizes,
patterns and enums, from the same service model.
"""

from __future__ import annotations

import copy
import json
import re
import time
from typing import Any

import boto3
import botocore.session
import regex  # the model's patterns are Java regexes (\p{L}, \p{Alnum}); stdlib re has no \p
from botocore.model import Shape
from botocore.validate import ParamValidator
from moto import mock_aws
from moto.core.config import default_user_config

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
MLFLOW_APP_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:mlflow-app/app-0A1B2C3D4E5F"  # the pattern MlflowConfig checks
SAGEMAKER_TASK = re.compile(r"^arn:aws:states:::sagemaker:(?P<action>\w+)(\.sync)?$")


# --- CloudFormation: the definition string as a deploy resolves it -----------------------------------
def _pseudo(name: str) -> str:
    return {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": PARTITION}.get(
        name, "amazonaws.com" if name == "AWS::URLSuffix" else name
    )


def _attribute(logical_id: str, attribute: str, template: dict) -> str:
    resource_type = template["Resources"][logical_id]["Type"]
    if resource_type == "AWS::IAM::Role" and attribute == "Arn":
        return f"arn:aws:iam::{ACCOUNT}:role/ExperimentsPipeline-{logical_id[:40]}"
    if resource_type == "AWS::Lambda::Function" and attribute == "Arn":
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ExperimentsPipeline-{logical_id[:40]}"
    raise AssertionError(f"no deploy-time value for {logical_id}.{attribute} ({resource_type})")


def resolve(value: Any, template: dict) -> Any:
    """A CloudFormation value with its intrinsics (Join, Ref, GetAtt, Sub, ImportValue) evaluated."""
    if isinstance(value, list):
        return [resolve(v, template) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Fn::Join":
            separator, parts = argument
            return separator.join(str(resolve(p, template)) for p in parts)
        if name == "Ref":
            return _pseudo(argument)
        if name == "Fn::GetAtt":
            return _attribute(argument[0], argument[1], template)
        if name == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", lambda m: _pseudo(m[1]), argument)
        if name == "Fn::ImportValue":
            # The pipeline imports two of the data stack's values: the key's ARN and the MLflow App's.
            if "MlflowApp" in str(argument):
                return MLFLOW_APP_ARN
            assert "Key" in str(argument), argument
            return KEY_ARN
    return {k: resolve(v, template) for k, v in value.items()}


def deployed_definition(template: dict, logical_id_prefix: str) -> dict:
    """The state machine definition as CloudFormation hands it to Step Functions."""
    (machine,) = [
        r
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::StepFunctions::StateMachine" and lid.startswith(logical_id_prefix)
    ]
    return json.loads(resolve(machine["Properties"]["DefinitionString"], template))


def sagemaker_tasks(definition: dict, where: tuple[str, ...] = ()) -> dict[str, tuple[tuple[str, ...], dict]]:
    """{state name: (the Map states it sits in, the state)} for every SageMaker Task state."""
    found = {}
    for name, state in definition["States"].items():
        if state["Type"] == "Task" and SAGEMAKER_TASK.match(state["Resource"]):
            found[name] = (where, state)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            found.update(sagemaker_tasks(processor, (*where, name)))
    return found


def operation_name(state: dict) -> str:
    """The SageMaker API operation of a task: arn:aws:states:::sagemaker:createTrainingJob.sync -> CreateTrainingJob."""
    action = SAGEMAKER_TASK.match(state["Resource"])["action"]  # type: ignore[index]
    return action[0].upper() + action[1:]


# --- Step Functions: the Parameters rendered by an interpreter ---------------------------------------
# Where a Distributed Map's items go in the rendering input (what its ItemReader would read from S3).
RENDERED_ITEMS = "renderedItems"


def _render_machine(definition: dict, state_name: str, maps: tuple[str, ...]) -> dict:
    """A state machine that renders `state_name`'s Parameters as its output (inside copies of its Maps)."""
    parameters = _find(definition, state_name, maps)["Parameters"]
    machine: dict = {"StartAt": "Render", "States": {"Render": {"Type": "Pass", "Parameters": parameters, "End": True}}}
    scope = definition
    chain = []
    for map_name in maps:
        chain.append(scope["States"][map_name])
        scope = chain[-1]["ItemProcessor"]
    for map_state in reversed(chain):
        # A Distributed Map renders as an inline one over the items given in the input (RENDERED_ITEMS):
        # the same ItemSelector and processor, without the S3 reader and writer.
        dropped = ("Next", "End", "ResultPath", "Catch", "ItemReader", "ResultWriter", "Label")
        outer = {
            k: copy.deepcopy(v) for k, v in map_state.items() if k not in dropped and not k.startswith("Tolerated")
        }
        if "ItemReader" in map_state:
            outer["ItemsPath"] = f"$.{RENDERED_ITEMS}"
        outer["ItemProcessor"] = {**outer["ItemProcessor"], **machine, "ProcessorConfig": {"Mode": "INLINE"}}
        outer.pop("Retry", None)
        outer["End"] = True
        machine = {"StartAt": "Render", "States": {"Render": outer}}
    return machine


def _find(definition: dict, state_name: str, maps: tuple[str, ...]) -> dict:
    scope = definition
    for map_name in maps:
        scope = scope["States"][map_name]["ItemProcessor"]
    return scope["States"][state_name]


def render_requests(definition: dict, state_input: dict[str, dict]) -> dict[str, Any]:
    """{state name: the request it sends}, for each state named in `state_input` (the input it
    receives, or, for a state in a Map, the input of the outermost Map); a state in a Map gives
    the list of its iterations' requests."""
    tasks = sagemaker_tasks(definition)
    before = default_user_config.get("stepfunctions")
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    try:
        return _render_all(definition, tasks, state_input)
    finally:
        if before is None:
            default_user_config.pop("stepfunctions", None)
        else:
            default_user_config["stepfunctions"] = before


def _render_all(definition: dict, tasks: dict, state_input: dict[str, dict]) -> dict[str, Any]:
    rendered = {}
    with mock_aws():
        client = boto3.client("stepfunctions", region_name=REGION)
        for name, data in state_input.items():
            maps, _ = tasks[name]
            arn = client.create_state_machine(
                name=f"render-{name}",
                definition=json.dumps(_render_machine(definition, name, maps)),
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/render",
            )["stateMachineArn"]
            execution = client.start_execution(stateMachineArn=arn, input=json.dumps(data))["executionArn"]
            rendered[name] = _output(client, execution, name)
    return rendered


def _output(client, execution_arn: str, name: str, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        described = client.describe_execution(executionArn=execution_arn)
        if described["status"] == "SUCCEEDED":
            return json.loads(described["output"])
        if described["status"] != "RUNNING":
            raise AssertionError(
                f"rendering {name}: {described['status']} {described.get('error')} {described.get('cause')}"
            )
        time.sleep(0.02)
    raise AssertionError(f"rendering {name}: no result after {timeout_s} s")


# --- botocore's model: every constraint SageMaker checks ---------------------------------------------
def _java_regex(pattern: str) -> str:
    # Java writes a character outside the BMP as a surrogate pair; Python wants the code point.
    return pattern.replace(r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF")


def constraint_errors(value: Any, shape: Shape, where: str) -> list[str]:
    """Max lengths/values/sizes, patterns (the whole value must match) and enums, which
    ParamValidator does not check."""
    check = _CHECKS.get(shape.type_name)
    return check(value, shape, where) if check else []


def _too_many(value: Any, shape: Shape, where: str, what: str) -> list[str]:
    top = shape.metadata.get("max")
    return [f"{where}: {len(value)} {what} > max {top}"] if top is not None and len(value) > top else []


def _structure(value: Any, shape: Shape, where: str) -> list[str]:
    if not isinstance(value, dict):
        return []  # a wrong type is ParamValidator's finding
    members = shape.members
    return [e for k, v in value.items() if k in members for e in constraint_errors(v, members[k], f"{where}.{k}")]


def _list(value: Any, shape: Shape, where: str) -> list[str]:
    if not isinstance(value, list):
        return []
    member = shape.member
    items = [e for i, v in enumerate(value) for e in constraint_errors(v, member, f"{where}[{i}]")]
    return _too_many(value, shape, where, "items") + items


def _map(value: Any, shape: Shape, where: str) -> list[str]:
    if not isinstance(value, dict):
        return []
    key_shape, value_shape = shape.key, shape.value
    entries = [
        e
        for k, v in value.items()
        for e in constraint_errors(k, key_shape, f"{where} key {k!r}")
        + constraint_errors(v, value_shape, f"{where}[{k!r}]")
    ]
    return _too_many(value, shape, where, "entries") + entries


def _string(value: Any, shape: Shape, where: str) -> list[str]:
    if not isinstance(value, str):
        return []
    meta, errors = shape.metadata, []
    if "max" in meta and len(value) > meta["max"]:
        errors.append(f"{where}: length {len(value)} > max {meta['max']}")
    if "pattern" in meta and not regex.fullmatch(_java_regex(meta["pattern"]), value):
        errors.append(f"{where}: {value[:80]!r} does not match {meta['pattern']}")
    if shape.enum and value not in shape.enum:
        errors.append(f"{where}: {value!r} not in enum {shape.enum}")
    return errors


def _number(value: Any, shape: Shape, where: str) -> list[str]:
    top = shape.metadata.get("max")
    if isinstance(value, (int, float)) and top is not None and value > top:
        return [f"{where}: {value} > max {top}"]
    return []


_CHECKS = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    **dict.fromkeys(("integer", "long", "float", "double"), _number),
}


def request_errors(operation: str, request: dict) -> list[str]:
    """Everything botocore's SageMaker model says is wrong with `request` for `operation`."""
    model = botocore.session.get_session().get_service_model("sagemaker").operation_model(operation)
    report = ParamValidator().validate(request, model.input_shape)
    errors = report.generate_report().splitlines() if report.has_errors() else []
    return errors + constraint_errors(request, model.input_shape, operation)
