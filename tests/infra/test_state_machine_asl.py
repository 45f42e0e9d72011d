"""asl-validator (npm, pinned in package.json) accepts both synthesized state machine definitions."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.infra.templates import resources

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = [
    str(ROOT / "node_modules" / ".bin" / "node"),
    str(ROOT / "node_modules" / "asl-validator" / "dist" / "bin" / "asl-validator.js"),
]
ACCOUNT, REGION = "123456789012", "us-east-1"
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "Stack",
}


def _placeholder(logical_id: str, attribute: str | None = None) -> str:
    """A well-formed value for a resource token: an ARN where an ARN is asked for, a name otherwise."""
    if attribute and attribute.endswith("Arn"):
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"
    return logical_id


def resolve(value) -> str:
    """CloudFormation intrinsics in a DefinitionString as concrete text (placeholder names and ARNs)."""
    if isinstance(value, str):
        return value
    ((name, argument),) = value.items()
    if name == "Fn::Join":
        separator, parts = argument
        return separator.join(resolve(part) for part in parts)
    if name == "Ref":
        return PSEUDO.get(argument) or _placeholder(argument)
    if name == "Fn::GetAtt":
        return _placeholder(*argument)
    if name == "Fn::Sub":
        text = argument if isinstance(argument, str) else argument[0]
        return re.sub(r"\$\{([^}]+)\}", lambda m: PSEUDO.get(m[1]) or _placeholder(*m[1].split(".", 1)), text)
    if name == "Fn::ImportValue":  # an export of the data stack (bucket name, key ARN...)
        export = argument if isinstance(argument, str) else json.dumps(argument)
        return _placeholder(re.sub(r"\W", "", export), "Arn" if "Arn" in export else None)
    raise AssertionError(f"intrinsic {name} not handled in a definition")


def validate(definition: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition))
    return subprocess.run([*VALIDATOR, "--json-path", str(path)], capture_output=True, text=True, timeout=60)


def _definitions(synthesized) -> dict[str, dict]:
    found = {}
    for template in synthesized.templates.values():
        for logical_id, machine in resources(template, "AWS::StepFunctions::StateMachine").items():
            found[logical_id] = json.loads(resolve(machine["Properties"]["DefinitionString"]))
    return found


def test_both_state_machines_are_found(synthesized):
    names = sorted(_definitions(synthesized))
    assert len(names) == 2 and names[0].startswith("Cleanup") and names[1].startswith("Training"), names


@pytest.mark.parametrize("prefix", ["Training", "Cleanup"])
def test_asl_validator_accepts_the_definition(synthesized, tmp_path, prefix):
    ((logical_id, definition),) = [(k, d) for k, d in _definitions(synthesized).items() if k.startswith(prefix)]
    result = validate(definition, tmp_path)
    assert result.returncode == 0, f"{logical_id}: {result.stdout}{result.stderr}"
    assert "✓" in result.stdout or "valid" in result.stdout.lower(), result.stdout


def _dangling_next(definition: dict) -> str:
    definition["States"][definition["StartAt"]]["Next"] = "NoSuchState"
    return "NoSuchState"


def _retrier_without_errors(definition: dict) -> str:
    definition["States"][definition["StartAt"]]["Retry"] = [{"IntervalSeconds": 2}]
    return "ErrorEquals"


@pytest.mark.parametrize("break_it", [_dangling_next, _retrier_without_errors])
def test_asl_validator_rejects_a_broken_definition(synthesized, tmp_path, break_it):
    ((definition),) = [d for k, d in _definitions(synthesized).items() if k.startswith("Training")]
    expected = break_it(definition)
    result = validate(definition, tmp_path)
    assert result.returncode != 0, result.stdout
    assert expected in result.stdout + result.stderr, result.stdout + result.stderr
