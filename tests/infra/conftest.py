"""One synthesis of the app with cdk.json's context, shared by every infra test."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import pytest

from infra.app import build
from infra.config import Config, default_context


@dataclass
class Synthesized:
    outdir: Path
    config: Config
    templates: dict[str, dict]
    manifest: dict

    @property
    def data(self) -> dict:
        return self.templates[self.config.data_stack_name]

    @property
    def pipeline(self) -> dict:
        return self.templates[self.config.pipeline_stack_name]


def synthesize(outdir: Path, **context_overrides) -> Synthesized:
    # As app.py synthesizes: cdk-nag on, the built-in CloudFormation validation off (cfn-lint runs instead).
    app = cdk.App(
        context={**default_context(), **context_overrides},
        outdir=str(outdir),
        builtin_cloud_formation_validation=False,
    )
    data, pipeline = build(app)
    assembly = app.synth()  # raises RuntimeError: ValidationFailed on any unacknowledged finding
    templates = {s.stack_name: s.template for s in assembly.stacks}
    manifest = json.loads((outdir / "manifest.json").read_text())
    return Synthesized(outdir, Config.from_context(app.node), templates, manifest)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> Synthesized:
    return synthesize(tmp_path_factory.mktemp("cdk.out"))
