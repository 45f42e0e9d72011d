"""Test-wide settings: jsii on the pinned Node, fake AWS credentials, never a real AWS endpoint."""

import os
from pathlib import Path

# jsii (every `import aws_cdk`) on the Node LTS pinned in package.json, as the Makefile sets it.
os.environ.setdefault("JSII_NODE", str(Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "node"))
for name, value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[name] = value
