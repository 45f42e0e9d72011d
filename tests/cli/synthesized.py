"""The app synthesized as the local cloud deploys it, read once per test session: what the CLI tests deploy.

Synthesis takes ~20 s, so one pytest-xdist worker synthesizes and writes what the tests need (the
two state machine definitions with their CloudFormation tokens as `${...}` text, the functions,
the state machines' logging) to a JSON file the other workers read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import contract
import contract.functions
from contract import stacks
from tests.infra.templates import render_tokens, resources, state_machine_definition

# What local_cloud/deploy.py passes (LOCAL_CONTEXT), without the MLflow App: these tests run the functions
# in this process against moto, which has no MLflow; tests/e2e/test_mlflow_tracking.py checks MLflow's records.
CONTEXT = {"localCloud": True, "mlflowTracking": False}
TRAINING_MACHINE = "TrainingStateMachine"  # logical id prefixes in the pipeline stack
CLEANUP_MACHINE = "CleanupStateMachine"


@dataclass(frozen=True)
class SynthesizedFunction:
    logical_id: str
    handler: str
    environment: dict[str, str]  # values with ${...} tokens
    timeout_s: int
    memory_mb: int

    @property
    def contract_function(self) -> contract.functions.Function:
        (function,) = [f for f in contract.functions.ALL_FUNCTIONS if f.handler == self.handler]
        return function


@dataclass(frozen=True)
class SynthesizedApp:
    training: dict  # definitions, ${...} tokens in their strings
    cleanup: dict
    functions: tuple[SynthesizedFunction, ...]
    logging: dict[str, dict]  # state machine -> its LoggingConfiguration, ${...} tokens
    log_group_names: dict[str, str]  # log group logical id -> LogGroupName
    max_trials: str

    def to_json(self) -> str:
        document = {**self.__dict__, "functions": [f.__dict__ for f in self.functions]}
        return json.dumps(document)

    @classmethod
    def from_json(cls, text: str) -> SynthesizedApp:
        document = json.loads(text)
        document["functions"] = tuple(SynthesizedFunction(**f) for f in document["functions"])
        return cls(**document)


def synthesize_app(outdir: Path) -> SynthesizedApp:
    from tests.infra.conftest import synthesize

    synthesized = synthesize(outdir, **CONTEXT)
    pipeline = synthesized.templates[stacks.pipeline_stack_name()]
    functions = tuple(
        SynthesizedFunction(
            logical_id=logical_id,
            handler=resource["Properties"]["Handler"],
            environment={
                name: render_tokens(value)
                for name, value in resource["Properties"].get("Environment", {}).get("Variables", {}).items()
            },
            timeout_s=int(resource["Properties"].get("Timeout", 3)),
            memory_mb=int(resource["Properties"].get("MemorySize", 128)),
        )
        for logical_id, resource in resources(pipeline, "AWS::Lambda::Function").items()
        if resource["Properties"].get("Handler", "").startswith("lambdas.")
    )
    machines = resources(pipeline, "AWS::StepFunctions::StateMachine")
    logging = {}
    for prefix in (TRAINING_MACHINE, CLEANUP_MACHINE):
        (config,) = [r["Properties"]["LoggingConfiguration"] for lid, r in machines.items() if lid.startswith(prefix)]
        logging[prefix] = json.loads(json.dumps(config, default=str), object_hook=_render_token_values)
    return SynthesizedApp(
        training=state_machine_definition(pipeline, TRAINING_MACHINE),
        cleanup=state_machine_definition(pipeline, CLEANUP_MACHINE),
        functions=functions,
        logging=logging,
        log_group_names={
            lid: r["Properties"].get("LogGroupName", "")
            for lid, r in resources(pipeline, "AWS::Logs::LogGroup").items()
        },
        max_trials=str(pipeline["Outputs"][stacks.MAX_TRIALS_OUTPUT]["Value"]),
    )


def _render_token_values(obj: dict):
    """A token ({"Fn::GetAtt": ...}, {"Ref": ...}) as its ${...} text; other objects unchanged."""
    if len(obj) == 1 and next(iter(obj)) in ("Ref", "Fn::GetAtt", "Fn::Join", "Fn::ImportValue"):
        return render_tokens(obj)
    return obj


def load(cache_dir: Path) -> SynthesizedApp:
    """The synthesized app, synthesized by the first worker to get here and read by the others."""
    import fcntl

    cache = cache_dir / "cli-synthesized-app.json"
    with (cache_dir / "cli-synthesized-app.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not cache.is_file():
            cache.write_text(synthesize_app(cache_dir / "cli-cdk.out").to_json())
        return SynthesizedApp.from_json(cache.read_text())
