#!/usr/bin/env python3
"""CDK app: reads config from context, builds the stacks, attaches the security checks."""

import os

# Node 20 works with jsii but prints an end-of-life banner on every import; silence it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402

from infra.app import build  # noqa: E402

app = cdk.App()
build(app)
app.synth()
