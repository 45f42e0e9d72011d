"""Prints what `cdk deploy` would create, read from a synthesized cloud assembly (cdk.out)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table


def main(outdir: str = "cdk.out") -> None:
    console = Console()
    manifest = json.loads((Path(outdir) / "manifest.json").read_text())
    stacks = {name: a for name, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"}
    for name, artifact in stacks.items():
        template = json.loads((Path(outdir) / artifact["properties"]["templateFile"]).read_text())
        counts = Counter(r["Type"] for r in template["Resources"].values() if r["Type"] != "AWS::CDK::Metadata")
        table = Table(
            title=f"{name}: {sum(counts.values())} resources"
            f"{' (termination protection)' if artifact['properties'].get('terminationProtection') else ''}"
        )
        table.add_column("resource type")
        table.add_column("count", justify="right")
        for type_, count in sorted(counts.items()):
            table.add_row(type_, str(count))
        console.print(table)
        for lid, resource in template["Resources"].items():
            if resource["Type"] == "AWS::StepFunctions::StateMachine":
                console.print(f"  state machine [bold]{lid}[/]: {' -> '.join(_states(resource))}")
        console.print(f"  outputs: {', '.join(template.get('Outputs', {}))}\n")
    report = Path(outdir) / "validation-report.json"
    if report.exists():
        for plugin in json.loads(report.read_text())["pluginReports"]:
            console.print(
                f"cdk-nag {plugin['pluginName']}: {plugin['conclusion']}, "
                f"{len(plugin['violations'])} open findings, "
                f"{len(plugin['suppressedViolations'])} acknowledged (infra/security_checks.py)"
            )


def _states(resource: dict) -> list[str]:
    definition = resource["Properties"]["DefinitionString"]
    parts = definition["Fn::Join"][1] if isinstance(definition, dict) else [definition]
    text = "".join(p if isinstance(p, str) else "0" for p in parts)
    states = json.loads(text)
    order, name = [], states["StartAt"]
    while name and name not in order:
        order.append(name)
        name = states["States"][name].get("Next")
    return order


if __name__ == "__main__":
    main(*sys.argv[1:])
