"""Test-wide settings: jsii on the pinned Node, fake AWS credentials, never a real AWS endpoint."""

import os
from pathlib import Path

import pytest

# jsii (every `import aws_cdk`) on the Node LTS pinned in package.json, as the Makefile sets it.
os.environ.setdefault("JSII_NODE", str(Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "node"))
for name, value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[name] = value


@pytest.fixture(autouse=True)
def _environment_as_before():
    """Each test leaves os.environ as it found it: a variable one test sets in place (AWS_ENDPOINT_URL
    by the in-process Lambdas of a moto server, say) must not send a later test on the same xdist
    worker to a server that is gone."""
    before = dict(os.environ)
    yield
    for name in set(os.environ) - set(before):
        os.environ.pop(name, None)
    for name, value in before.items():
        if os.environ.get(name) != value:
            os.environ[name] = value
