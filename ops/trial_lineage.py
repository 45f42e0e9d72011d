"""The `lineage` tree of a trial: dataset -> preprocessing -> training job -> model -> transform output.

Built from the trial components' recorded input and output artifacts alone: a component consumes
another's output when one of its input artifacts is that output (or lies under that output prefix).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from rich.tree import Tree

import contract
from ops import experiment_records as records

MAX_PARAMETERS_SHOWN = 4


def _inputs(component: dict) -> dict[str, dict]:
    """A component's input artifacts, and the model a transform ran: SageMaker records a transform
    job's model as parameter SageMaker.ModelPrimary.DataUrl, not as an input artifact."""
    inputs = dict(component.get("InputArtifacts") or {})
    model = (component.get("Parameters") or {}).get(contract.SAGEMAKER_MODEL_DATA_PARAMETER) or {}
    if model.get("StringValue"):
        inputs[contract.SAGEMAKER_MODEL_DATA_PARAMETER] = {"Value": model["StringValue"]}
    return inputs


@dataclass
class Link:
    """Component `consumer` reads its input `input_name` from `producer`'s output `output_name`."""

    consumer: str
    input_name: str
    producer: str
    output_name: str


@dataclass
class Lineage:
    trial: str
    experiment: str | None
    components: dict[str, dict]  # by name, in creation order
    links: list[Link] = field(default_factory=list)

    @classmethod
    def of(cls, trial: dict, components: list[dict]) -> Lineage:
        lineage = cls(
            trial=trial["TrialName"],
            experiment=trial.get("ExperimentName"),
            components={c["TrialComponentName"]: c for c in components},
        )
        for consumer in components:
            for input_name, artifact in _inputs(consumer).items():
                producer = lineage._producer_of(artifact.get("Value", ""), exclude=consumer["TrialComponentName"])
                if producer:
                    lineage.links.append(Link(consumer["TrialComponentName"], input_name, *producer))
        return lineage

    def _producer_of(self, value: str, *, exclude: str) -> tuple[str, str] | None:
        """The output that an artifact value is (exact match first, then the longest enclosing prefix)."""
        best: tuple[int, str, str] | None = None
        for name, component in self.components.items():
            if name == exclude:
                continue
            for output_name, artifact in (component.get("OutputArtifacts") or {}).items():
                output = artifact.get("Value", "")
                if not output:
                    continue
                if value.rstrip("/") == output.rstrip("/"):
                    score = 10**6
                elif value.startswith(output.rstrip("/") + "/"):
                    score = len(output)
                else:
                    continue
                if best is None or score > best[0]:
                    best = (score, name, output_name)
        return (best[1], best[2]) if best else None

    def depth(self, name: str, seen: frozenset = frozenset()) -> int:
        parents = {link.producer for link in self.links if link.consumer == name and link.producer not in seen}
        return 1 + max((self.depth(p, seen | {name}) for p in parents), default=0)

    def primary_link(self, name: str) -> Link | None:
        """Where a component hangs in the tree: under its deepest producer (the last step before it)."""
        links = [link for link in self.links if link.consumer == name]
        return max(links, key=lambda link: self.depth(link.producer), default=None)

    def tree(self) -> Tree:
        root = Tree(
            Text.assemble(("trial ", "dim"), (self.trial, "bold"), ("  experiment ", "dim"), self.experiment or "?")
        )
        placed: set[str] = set()
        sources: dict[tuple[str, str], Tree] = {}
        for name, component in self.components.items():
            if self.primary_link(name) is not None:
                continue
            inputs = component.get("InputArtifacts") or {}
            if inputs:
                # The data it read is where it hangs, not its image (a job's SageMaker.ImageUri).
                input_name, artifact = next(
                    ((k, a) for k, a in inputs.items() if a.get("Value", "").startswith("s3://")),
                    next(iter(inputs.items())),
                )
                key = (input_name, artifact.get("Value", ""))
                if key not in sources:
                    sources[key] = root.add(_artifact_label(input_name, artifact.get("Value", "")))
                parent = sources[key]
            else:
                input_name, parent = None, root
            self._add(parent, name, placed, shown_input=input_name)
        for name in self.components:  # a cycle of artifacts would leave some unplaced
            if name not in placed:
                self._add(root, name, placed, shown_input=None)
        return root

    def _add(self, parent: Tree, name: str, placed: set[str], *, shown_input: str | None) -> None:
        placed.add(name)
        component = self.components[name]
        node = parent.add(_component_label(component))
        for input_name, artifact in (component.get("InputArtifacts") or {}).items():
            if input_name != shown_input:
                node.add(Text.assemble(("input ", "dim"), _artifact_label(input_name, artifact.get("Value", ""))))
        for output_name, artifact in (component.get("OutputArtifacts") or {}).items():
            consumers = [
                n
                for n in self.components
                if n not in placed
                and (link := self.primary_link(n))
                and link.producer == name
                and link.output_name == output_name
            ]
            output_node = node.add(_artifact_label(output_name, artifact.get("Value", "")))
            for consumer in consumers:
                link = self.primary_link(consumer)
                self._add(output_node, consumer, placed, shown_input=link.input_name if link else None)


def load(sagemaker, trial_name: str) -> Lineage:
    trial = records.describe_trial(sagemaker, trial_name)
    return Lineage.of(trial, records.trial_components(sagemaker, trial_name))


def _component_label(component: dict) -> Text:
    status = (component.get("Status") or {}).get("PrimaryStatus", "")
    if records.is_training(component):  # its component name is the job's name plus a suffix
        label = Text.assemble(("training job ", "bold cyan"), (records.training_job_name(component), "bold"))
    else:
        label = Text.assemble(
            (component.get("DisplayName") or "component", "bold cyan"), ("  " + component["TrialComponentName"], "dim")
        )
    label.append("  ")
    label.append(status, style={"Completed": "green", "Failed": "red"}.get(status, "yellow"))
    if not records.is_training(component):  # a job's parameters are its hyperparameters: compare shows them
        parameters = list((component.get("Parameters") or {}).items())
        shown = ", ".join(f"{k}={records.parameter_value(v)}" for k, v in parameters[:MAX_PARAMETERS_SHOWN])
        if shown:
            label.append(f"  {shown}{', ...' if len(parameters) > MAX_PARAMETERS_SHOWN else ''}", style="dim")
    metrics = records.final_metrics(component)
    if metrics:
        label.append("  " + ", ".join(f"{k}={v:g}" for k, v in metrics.items()))
    reason = records.failure_reason(component)
    if reason:
        label.append(f"  ({reason})", style="red")
    return label


def _artifact_label(name: str, value: str) -> Text:
    return Text.assemble((name, "magenta"), " ", value)
