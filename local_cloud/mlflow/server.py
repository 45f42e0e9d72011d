"""The local MLflow tracking server: `mlflow server` from .venv-mlflow, SQLite backend, artifacts in the local S3.

The local cloud's server process starts it (local_cloud/server.py), so it runs in the cloud's process
group and stops with it. Its URL is what the local MLflow App's data plane answers on: the functions
and the training jobs reach it as SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT, the endpoint the SageMaker MLflow
plugin sends an App ARN's requests to.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

from local_cloud.proc import ProcessExited, descendants, wait_until_ok
from local_cloud.run_logs import tail

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MLFLOW = PROJECT_ROOT / ".venv-mlflow" / "bin" / "mlflow"
URL_ENV = "LOCAL_CLOUD_MLFLOW_URL"  # set in the server process for the runtime (functions, jobs)
PORT_ENV = "LOCAL_CLOUD_MLFLOW_PORT"  # LocalCloud picks the port; 0 or unset: no MLflow server
STARTUP_TIMEOUT_S = 90


class MlflowServerError(RuntimeError):
    """The MLflow server did not start; the message quotes its log."""


def url_of(port: int) -> str:
    return f"http://127.0.0.1:{port}"


class MlflowServer:
    """start() / stop(); `pid_file` lets whoever started the local cloud stop it alone (tests)."""

    def __init__(self, run_dir: Path, port: int, *, s3_endpoint_url: str, artifacts_uri: str) -> None:
        self.dir = run_dir / "mlflow"
        self.port = port
        self.s3_endpoint_url = s3_endpoint_url
        self.artifacts_uri = artifacts_uri
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return url_of(self.port)

    @property
    def log(self) -> Path:
        return self.dir / "server.log"

    @property
    def pid_file(self) -> Path:
        return self.dir / "server.pid"

    def start(self) -> MlflowServer:
        if not MLFLOW.is_file():
            raise MlflowServerError(f"{MLFLOW} is missing: `make setup` installs .venv-mlflow")
        self.dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            # The artifact store is the local cloud's S3, as the App's is the bucket's mlflow/ prefix.
            "MLFLOW_S3_ENDPOINT_URL": self.s3_endpoint_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            # MLflow 3's job runner (7 huey worker processes) serves features this project does not use.
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        }
        for name in ("AWS_ENDPOINT_URL", "PYTHONPATH", "VIRTUAL_ENV"):  # the cloud's own, not MLflow's
            env.pop(name, None)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(MLFLOW),
                    "server",
                    "--backend-store-uri",
                    f"sqlite:///{self.dir / 'mlflow.db'}",
                    "--artifacts-destination",
                    self.artifacts_uri,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    "1",
                ],
                cwd=self.dir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.pid_file.write_text(str(self.process.pid))
        return self

    def wait_ready(self, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        wait_ready(
            self.port, timeout_s, log=self.log, alive=lambda: self.process is not None and self.process.poll() is None
        )

    def stop(self) -> None:
        if self.process is None:
            return
        stop_tree(self.process.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.process = None
        self.pid_file.unlink(missing_ok=True)


def wait_ready(port: int, timeout_s: float, *, log: Path, alive=lambda: True) -> None:
    """Until GET /health answers 200 (`mlflow server` migrates its database first: seconds)."""
    try:
        wait_until_ok(f"{url_of(port)}/health", timeout_s, alive=alive)
    except ProcessExited:
        raise MlflowServerError(f"the MLflow server exited at start; its log {log}:\n{tail(log, 20)}") from None
    except TimeoutError:
        raise MlflowServerError(f"the MLflow server did not answer within {timeout_s:.0f} s; its log {log}") from None


def stop_tree(pid: int) -> None:
    """SIGTERM to `mlflow server` and its uvicorn child (both in the cloud's process group)."""
    for member in [*descendants(pid), pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGTERM)


def experiment_url(base_url: str, experiment_name: str) -> str:
    """The MLflow UI's page of an experiment (its runs, the sweep's among them); the experiments list
    while it does not exist yet."""
    import json
    import urllib.parse

    query = urllib.parse.urlencode({"experiment_name": experiment_name})
    try:
        with urllib.request.urlopen(f"{base_url}/api/2.0/mlflow/experiments/get-by-name?{query}", timeout=5) as answer:
            experiment_id = json.loads(answer.read())["experiment"]["experiment_id"]
    except (urllib.error.URLError, OSError, KeyError, ValueError):
        return f"{base_url}/#/experiments"
    return f"{base_url}/#/experiments/{experiment_id}"
