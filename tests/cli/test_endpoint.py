"""The same commands over HTTP against a moto server (as against the local cloud or AWS): the endpoint
comes from --endpoint-url or from AWS_ENDPOINT_URL."""

from __future__ import annotations

import copy
import json
import re
import urllib.request

import pytest
from moto.core.config import default_user_config

import contract
from contract import states
from local_cloud import experiments, plug
from local_cloud.runtime import LocalRuntime
from tests.cli import cloud


@pytest.fixture
def endpoint(monkeypatch, tmp_path):
    """A moto server running the project as the local cloud's server does: its state machines'
    Lambda tasks call back into it (MOTO_PORT), the handlers' SDK calls go to it."""
    from moto.server import ThreadedMotoServer

    plug.install()
    saved = copy.deepcopy(default_user_config)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://localhost:{port}"
    monkeypatch.setenv("MOTO_PORT", str(port))
    lambdas = cloud.InProcessLambdas(tmp_path / "local-cloud", endpoint_url=url)
    plug.use_runtime(
        LocalRuntime(
            run_dir=tmp_path / "local-cloud",
            endpoint_url=url,
            region=cloud.REGION,
            lambdas=lambdas,
            job_runner=cloud.InstantJobs(),
        )
    )
    urllib.request.urlopen(
        urllib.request.Request(  # the local cloud turns executions on the same way
            f"{url}/moto-api/config",
            method="POST",
            data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
        ),
        timeout=10,
    )
    try:
        yield url
    finally:
        plug.restore_moto()
        lambdas.restore_environment()
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10)
        server.stop()
        experiments.reset_backends()
        default_user_config.clear()
        default_user_config.update(saved)


def test_start_watch_compare_and_lineage_over_an_endpoint(endpoint, app, run_cli, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    with monkeypatch.context() as setup:  # the project deployed through the same endpoint
        setup.setenv("AWS_ENDPOINT_URL", endpoint)
        cloud.deploy(app)

    started = run_cli(
        "--endpoint-url",
        endpoint,
        "start",
        "--experiment",
        "mnist-cnn",
        "--grid",
        "hidden_channels=2,5,10,20,32",
        "--watch",
        "--interval",
        "0.05",
    )
    assert started.exit_code == 0, started.output
    assert f"python -m ops --endpoint-url {endpoint} watch mnist-cnn-" in started.stdout
    assert f"{states.SUMMARIZE}: trials 5/5 (completed 4 · failed 1)" in started.stdout
    found = re.search(r"Best trial: (\S+)", started.stdout)
    assert found, started.stdout
    best = found.group(1)

    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)  # the environment variable works as well
    compared = run_cli("compare", "mnist-cnn")
    assert compared.exit_code == 0, compared.output
    first_row = next(line for line in compared.stdout.splitlines() if "-trial-" in line)
    assert best in first_row and str(cloud.ACCURACY["20"]) in first_row  # best first

    lineage = run_cli("lineage", best)
    assert lineage.exit_code == 0 and contract.SAGEMAKER_TRANSFORM_OUTPUT_ARTIFACT in lineage.stdout

    unknown = run_cli("lineage", "nope")  # an HTTP 400 ResourceNotFound, as AWS answers it
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("Error: trial nope not found")
