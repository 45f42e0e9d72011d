#!/usr/bin/env python3
"""CDK app: reads config from context, builds the stacks, attaches the security checks."""

import os
from pathlib import Path

# jsii runs on the project's pinned Node LTS (package.json's `node`, installed by `npm ci`), not on
# whatever `node` the PATH has (Node 20 is end-of-life and prints a banner on every import).
_NODE = Path(__file__).resolve().parent / "node_modules" / ".bin" / "node"
if _NODE.exists():
    os.environ.setdefault("JSII_NODE", str(_NODE))
# Node's compile cache (which the Makefile gives the CDK CLI) is keyed by a module's path, and the
# jsii kernel loads aws-cdk-lib from a new /tmp/jsii-kernel-* folder each run: for the kernel the
# cache never hits, costs about 0.3 s a synth to write, and grew 13 MB a synth (500 MB measured).
os.environ.pop("NODE_COMPILE_CACHE", None)

import aws_cdk as cdk  # noqa: E402

from infra.app import build  # noqa: E402

# The built-in "CloudFormation Validate" plugin costs about 3 s a synth and checks what cfn-lint
# already checks (tests, `make preview`); the cdk-nag packs registered by build() still run and
# fail the synth on any unacknowledged finding.
app = cdk.App(builtin_cloud_formation_validation=False)
build(app)
app.synth()
