"""Fixtures: a moto AWS (with the emulator's Experiments API) holding the deployed project."""

from __future__ import annotations

import moto
import pytest
from click.testing import CliRunner

from local_cloud import plug
from tests.cli import fake_cloud


@pytest.fixture
def aws(monkeypatch):
    """An empty moto AWS whose state machines really execute; no endpoint or profile leaks in."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", fake_cloud.REGION)
    monkeypatch.setenv("COLUMNS", "200")  # rich: wide tables, so the assertions see whole names
    plug.install()
    with moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


@pytest.fixture
def deployed(aws) -> dict[str, str]:
    return fake_cloud.deploy_stacks()


@pytest.fixture
def recorded(deployed) -> dict[str, str]:
    fake_cloud.record_experiment()
    return deployed


@pytest.fixture
def run_cli():
    """`python -m ops ARGS` in-process; stdout and stderr apart, as a user's terminal shows them."""
    from ops.cli import cli

    def run(*args: str, input: str | None = None):
        runner = CliRunner()
        return runner.invoke(cli, list(args), input=input, catch_exceptions=True, prog_name="python -m ops")

    return run
