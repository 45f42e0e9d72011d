"""Fixtures: a moto AWS (with the local cloud's Experiments API) holding the synthesized project.

The state machines are the synthesized ones (tests/cli/synthesized.py); their Lambda tasks run the
real handlers in-process and their SageMaker jobs end at once (tests/cli/cloud.py), both through
the local cloud's runtime object.
"""

from __future__ import annotations

import moto
import pytest
from click.testing import CliRunner

from contract import functions as contract_functions
from local_cloud import plug
from local_cloud.runtime import LocalRuntime
from tests.cli import cloud, synthesized

# Imported before any CLI run: a handler module's logger binds the stdout it finds at import, and
# the CLI runner's stdout is closed once its command ends.
for _function in contract_functions.ALL_FUNCTIONS:
    __import__(_function.handler.rpartition(".")[0])


@pytest.fixture(scope="session")
def app(tmp_path_factory, worker_id) -> synthesized.SynthesizedApp:
    """The app synthesized with the local cloud's context, once per test session."""
    if worker_id == "master":  # no xdist: this process is the session
        return synthesized.load(tmp_path_factory.getbasetemp())
    return synthesized.load(tmp_path_factory.getbasetemp().parent)  # shared by the session's workers


@pytest.fixture
def lambdas(tmp_path):
    lambdas = cloud.InProcessLambdas(tmp_path / "local-cloud")
    yield lambdas
    lambdas.restore_environment()  # after `aws` has ended every execution


@pytest.fixture
def jobs() -> cloud.InstantJobs:
    return cloud.InstantJobs()


# The definition's Wait states and Retry intervals are seconds meant for jobs running for minutes and
# throttled APIs (an adopted job is described every 30 s): here, where every job ends at once, a Wait
# or the pause before a retry lasts at most this long. States are still entered, retried and left as
# the definition says (the tests count those events).
MAX_WAIT_S = 0.2


@pytest.fixture(autouse=True)
def _short_waits(monkeypatch):
    import time
    import types

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    def wait_interval(self, env, wait_seconds):
        if wait_seconds > 0:
            env.program_state_event.wait(min(wait_seconds, MAX_WAIT_S))

    monkeypatch.setattr(WaitFunction, "_wait_interval", wait_interval)
    monkeypatch.setattr(retrier_decl, "time", types.SimpleNamespace(sleep=lambda s: time.sleep(min(s, MAX_WAIT_S))))


@pytest.fixture
def aws(monkeypatch, tmp_path, lambdas, jobs):
    """An empty moto AWS whose state machines really execute, Lambdas and SageMaker jobs included;
    no endpoint or profile leaks in."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", cloud.REGION)
    monkeypatch.setenv("COLUMNS", "200")  # rich: wide tables, so the assertions see whole names
    plug.install()
    with moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        runtime = LocalRuntime(
            run_dir=tmp_path / "local-cloud", endpoint_url=None, region=cloud.REGION, lambdas=lambdas, job_runner=jobs
        )
        plug.use_runtime(runtime)
        try:
            yield runtime
        finally:
            cloud.end_running_executions()
            plug.restore_moto()


@pytest.fixture
def deployed(aws, app) -> cloud.Deployment:
    return cloud.deploy(app)


@pytest.fixture
def recorded(deployed) -> cloud.RecordedRun:
    """The records one execution of the training state machine leaves (cloud.RECORDED_INPUT)."""
    return cloud.record_run(deployed)


@pytest.fixture
def run_cli():
    """`python -m ops ARGS` in-process; stdout and stderr apart, as a user's terminal shows them."""
    from ops.cli import cli

    def run(*args: str, input: str | None = None):
        runner = CliRunner()
        return runner.invoke(cli, list(args), input=input, catch_exceptions=True, prog_name="python -m ops")

    return run
