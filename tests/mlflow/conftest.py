"""A real MLflow tracking server (the local cloud's, from .venv-mlflow) for the MLflow recording tests."""

from __future__ import annotations

import pytest

from local_cloud.cloud import free_port
from local_cloud.mlflow.server import MlflowServer


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """One server per test worker: `mlflow server` with a SQLite store, file artifacts (started in ~6 s)."""
    run_dir = tmp_path_factory.mktemp("mlflow-server")
    server = MlflowServer(
        run_dir, free_port(), s3_endpoint_url="http://127.0.0.1:9", artifacts_uri=str(run_dir / "artifacts")
    ).start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def closed_port_url() -> str:
    """A URL where nothing listens: a tracking server that is down."""
    return f"http://127.0.0.1:{free_port()}"
