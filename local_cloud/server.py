"""The local cloud's server process: moto, with local_cloud/plug.py's plug points, serving on 127.0.0.1:PORT."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from contract import tracking


def serve(port: int, run_dir: Path, mlflow_port: int = 0) -> None:
    """Serves until SIGTERM/SIGINT, then ends every job, Lambda and the MLflow server it started."""
    run_dir.mkdir(parents=True, exist_ok=True)
    # The Step Functions interpreter calls Lambda and the other services back through this port.
    os.environ["MOTO_PORT"] = str(port)
    from local_cloud import plug

    runtime = plug.enable_local_runtime(run_dir=run_dir, endpoint_url=f"http://localhost:{port}")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    server = make_server(
        "127.0.0.1",
        port,
        DomainDispatcherApplication(create_backend_app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    # Once the API's port is bound: a server that cannot start leaves no MLflow server behind.
    mlflow = None
    if mlflow_port:
        from local_cloud.mlflow.server import URL_ENV, MlflowServer

        mlflow = MlflowServer(
            run_dir,
            mlflow_port,
            s3_endpoint_url=f"http://localhost:{port}",
            artifacts_uri=f"s3://{_bucket_name()}/{tracking.ARTIFACTS_PREFIX.rstrip('/')}",
        ).start()
        os.environ[URL_ENV] = mlflow.url  # read by the runtime at each invocation: the MLflow endpoint

    def stop(signum, frame) -> None:  # shutdown() waits for serve_forever: call it off the main thread
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _stop_when_orphaned(lambda: stop(None, None))
    print(f"local cloud serving on http://localhost:{port} (run folder {run_dir})", flush=True)
    if mlflow:
        print(f"MLflow tracking server starting on {mlflow.url} (log {mlflow.log})", flush=True)
    try:
        server.serve_forever()
    finally:
        runtime.children.terminate_all()
        if mlflow:
            mlflow.stop()
        print("local cloud stopped", flush=True)
    sys.exit(0)


def _bucket_name() -> str:
    """The project bucket as the data stack names it (infra.config.Config.bucket_name) in the local account."""
    import json

    from local_cloud.deploy import ACCOUNT, REGION, ROOT

    project_tag = json.loads((ROOT / "cdk.json").read_text())["context"]["projectTag"]
    return f"{project_tag}-{ACCOUNT}-{REGION}"


def _stop_when_orphaned(stop, interval_s: float = 1.0) -> None:
    """Whoever started the server (LocalCloud, a shell) can die without stopping it (SIGKILL, a
    crashed test worker): the server then notices it was re-parented and shuts down with its jobs."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        print(f"local cloud: its parent process {parent} is gone; stopping", flush=True)
        stop()

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()
