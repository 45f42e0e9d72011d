"""Serving entrypoint (`python3 -m jobs serve`): the model behind gunicorn for SageMaker batch transform.

SageMaker's inference contract: HTTP on port 8080 (SAGEMAKER_BIND_TO_PORT for local runs),
GET /ping answers 200 once the model is loaded, POST /invocations answers one prediction per
input record in input order, model files in /opt/ml/model. gunicorn is the master process (it
receives SIGTERM and stops gracefully, finishing requests in flight); each worker loads the model
itself before it accepts a request, so a worker that answers /ping always has a model.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, NotAcceptable

import contract
from jobs.inference import ACCEPT_TYPES, MalformedPayload, UnsupportedContentType, decode, encode

WORKERS_ENV = "SAGEMAKER_MODEL_SERVER_WORKERS"  # the name SageMaker's own serving stacks use
TIMEOUT_ENV = "SAGEMAKER_MODEL_SERVER_TIMEOUT"
MAX_PAYLOAD_MB = contract.TRANSFORM_MAX_PAYLOAD_MB  # what /execution-parameters advertises
BODY_LIMIT_BYTES = 100 * 1024 * 1024  # MaxPayloadInMB's ceiling; larger bodies get 413
INFERENCE_BATCH = 4096

log = logging.getLogger("jobs.serve")


def create_app(model_dir: Path, *, threads: int = 1, workers: int = 1) -> Flask:
    """The WSGI app with the model loaded (raises if the model dir is incomplete)."""
    import torch

    from jobs.model import load_model

    torch.set_num_threads(max(1, threads))
    model, config = load_model(model_dir)
    height, width = config["image_height"], config["image_width"]
    app = Flask("jobs.serve")
    app.config["MAX_CONTENT_LENGTH"] = BODY_LIMIT_BYTES

    @app.get("/ping")
    def ping() -> Response:
        return Response("ok\n", mimetype="text/plain")

    @app.get("/execution-parameters")
    def execution_parameters() -> Response:
        # Batch transform asks this when the job does not set these itself.
        return Response(
            json.dumps(
                {"MaxConcurrentTransforms": workers, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": MAX_PAYLOAD_MB}
            ),
            mimetype=contract.JSON_CONTENT_TYPE,
        )

    @app.post("/invocations")
    def invocations() -> Response:
        accept = _accepted_type()
        images = decode(request.get_data(cache=False), request.mimetype, height, width)
        with torch.inference_mode():
            probabilities = torch.cat(
                [
                    torch.softmax(model(torch.from_numpy(images[first : first + INFERENCE_BATCH])), dim=1)
                    for first in range(0, len(images), INFERENCE_BATCH)
                ]
            ).numpy()
        return Response(encode(probabilities, accept), mimetype=accept)

    @app.errorhandler(MalformedPayload)
    def malformed(error: MalformedPayload) -> Response:
        return _error(400, str(error))

    @app.errorhandler(UnsupportedContentType)
    def unsupported(error: UnsupportedContentType) -> Response:
        return _error(415, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if error.code == 413:
            return _error(
                413,
                f"the body is larger than {BODY_LIMIT_BYTES // (1024 * 1024)} MB; "
                "lower MaxPayloadInMB or split the input",
            )
        return _error(error.code or 500, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # The worker lives on: one bad request must not stop a transform job's other requests.
        log.exception("POST %s failed", request.path)
        return _error(500, f"internal error: {type(error).__name__}: {error}")

    log.info(
        "model loaded from %s: %s",
        model_dir,
        {k: config[k] for k in ("image_height", "image_width", "hidden_channels")},
    )
    return app


def _accepted_type() -> str:
    header = request.headers.get("Accept", "").strip()
    if not header:
        return contract.JSONLINES_CONTENT_TYPE
    best = request.accept_mimetypes.best_match(ACCEPT_TYPES)
    if best is None:
        raise NotAcceptable(f"Accept {header} is not supported; ask for one of {', '.join(ACCEPT_TYPES)}")
    return best


def _error(status: int, message: str) -> Response:
    return Response(json.dumps({"error": message}) + "\n", status=status, mimetype=contract.JSON_CONTENT_TYPE)


def _int_from_env(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"serve: environment variable {name}={value!r} is not a whole number") from None
    if number < 1:
        raise SystemExit(f"serve: environment variable {name}={value!r} must be at least 1")
    return number


def main() -> int:
    from gunicorn.app.base import BaseApplication

    paths = contract.ContainerPaths.from_env()
    model_dir = paths.model
    missing = [
        name for name in (contract.MODEL_WEIGHTS_FILE, contract.MODEL_CONFIG_FILE) if not (model_dir / name).is_file()
    ]
    if missing:
        print(
            f"serve: {model_dir} lacks {', '.join(missing)} (SageMaker extracts model.tar.gz there)",
            file=sys.stderr,
            flush=True,
        )
        return 1
    port = _int_from_env(contract.SERVING_PORT_ENV, contract.SERVING_PORT)
    host = os.environ.get(contract.SERVING_HOST_ENV) or contract.SERVING_HOST
    cpus = os.cpu_count() or 1
    workers = _int_from_env(WORKERS_ENV, cpus)
    timeout = _int_from_env(TIMEOUT_ENV, 60)
    threads = max(1, cpus // workers)

    class ServingApplication(BaseApplication):
        """gunicorn configured in code, so the image needs no config file and no shell."""

        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "sync",
                "timeout": timeout,
                "graceful_timeout": 20,  # SIGTERM: finish requests in flight, then exit 0
                "accesslog": "-",
                "errorlog": "-",
                "loglevel": "info",
                "proc_name": "jobs-serve",
                # No runtime control socket: nothing manages a transform container from inside, and
                # servers sharing a host (local cloud, tests) would fight over its one default path.
                "control_socket_disable": True,
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            # Runs in each worker after the fork: torch's thread pools are never forked.
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
            return create_app(model_dir, threads=threads, workers=workers)

    print(f"serve: {host}:{port}, {workers} worker(s) x {threads} thread(s), model {model_dir}", flush=True)
    ServingApplication().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
