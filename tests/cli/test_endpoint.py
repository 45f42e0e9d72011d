"""The same commands over HTTP against a moto server (as against the local cloud or AWS): the endpoint
comes from --endpoint-url or from AWS_ENDPOINT_URL."""

from __future__ import annotations

import copy
import json
import urllib.request

import pytest
from moto.core.config import default_user_config

from local_cloud import experiments, plug
from tests.cli import fake_cloud


@pytest.fixture
def endpoint(monkeypatch):
    from moto.server import ThreadedMotoServer

    plug.install()
    saved = copy.deepcopy(default_user_config)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://localhost:{port}"
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
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10)
        server.stop()
        experiments.reset_backends()
        default_user_config.clear()
        default_user_config.update(saved)


def test_start_watch_compare_and_lineage_over_an_endpoint(endpoint, run_cli, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    with monkeypatch.context() as setup:  # the fixture's project, written through the same endpoint
        setup.setenv("AWS_ENDPOINT_URL", endpoint)
        fake_cloud.deploy_stacks()
        fake_cloud.record_experiment()

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
    assert "Summarize: trials 5/5 (queued 0 · running 0 · completed 5 · failed 0)" in started.stdout

    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)  # the environment variable works as well
    compared = run_cli("compare", "mnist-cnn")
    assert compared.exit_code == 0, compared.output
    first_row = next(line for line in compared.stdout.splitlines() if "-trial-hc" in line)
    assert fake_cloud.trial_name(20) in first_row and fake_cloud.job_name(20) in first_row  # best first

    lineage = run_cli("lineage", fake_cloud.trial_name(20))
    assert lineage.exit_code == 0 and "predictions" in lineage.stdout

    unknown = run_cli("lineage", "nope")  # an HTTP 400 ResourceNotFound, as AWS answers it
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("Error: trial nope not found")
