"""Runs a deployed Lambda function's code package with its handler, in warm execution environments.

Knows nothing of moto: it takes the function's zip (the package CDK uploaded), handler, environment
and timeout, and runs the handler in an execution environment: a long-lived interpreter (the venv's,
which supplies boto3 as the Lambda runtime does; Powertools comes from the package itself, which
PYTHONPATH puts ahead of the venv's site-packages) pointed at the local cloud. As Lambda does, an
environment imports the handler once and then serves one invocation at a time; an idle environment
is reused by the next invocation ("Lambda reuses the execution environment from a previous invocation
if one is available"), concurrent invocations get environments of their own, and a timed-out or
crashed invocation's environment is discarded. Each invocation's output is kept as a log file in
the run folder.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import os
import queue
import subprocess
import sys
import threading
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from contract import tracking
from local_cloud.awslambda.bootstrap import INIT_MARK, RESULT_MARK
from local_cloud.mlflow.server import URL_ENV as MLFLOW_URL_ENV
from local_cloud.run_logs import lambda_log_dir
from local_cloud.sagemaker.processes import ChildProcesses

BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap.py"
# "The Init phase is limited to 10 seconds" (Lambda execution environment lifecycle): a new
# environment gets that long to import the handler before its first invocation's timeout starts.
INIT_LIMIT_S = 10
_extract_lock = threading.Lock()


@dataclass(frozen=True)
class FunctionPackage:
    name: str
    arn: str
    handler: str
    code_zip: bytes
    environment: dict[str, str]
    timeout_s: int
    memory_mb: int


@dataclass(frozen=True)
class Invocation:
    payload: bytes
    errored: bool  # Lambda's X-Amz-Function-Error: Unhandled
    log_path: Path


class ExecutionEnvironment:
    """One bootstrap process serving invocations one at a time; its output is copied to the log of the
    invocation it is serving, and each invocation's outcome arrives on `outcomes`."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.outcomes: queue.Queue[dict | None] = queue.Queue()
        self.initialized = threading.Event()  # the handler is imported (or failed to import)
        self._log: IO[bytes] | None = None
        self._log_lock = threading.Lock()
        threading.Thread(target=self._read_output, name="lambda-environment-output", daemon=True).start()

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        mark, init = RESULT_MARK.encode(), INIT_MARK.encode()
        for line in self.process.stdout:
            if line == init:
                self.initialized.set()
                continue
            if line.startswith(mark):
                self.outcomes.put(json.loads(line[len(mark) :]))
                continue
            with self._log_lock:
                if self._log is not None:
                    self._log.write(line)
                    self._log.flush()
        self.outcomes.put(None)  # the process ended
        self.initialized.set()

    def serve(self, request: dict, log: IO[bytes], timeout_s: float) -> tuple[dict | None, str]:
        """(the invocation's outcome {"payload", "errored"}, "ok"), or (None, "timeout" | "exited")."""
        with self._log_lock:
            self._log = log
        try:
            assert self.process.stdin is not None
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
            if not self.initialized.wait(INIT_LIMIT_S):
                return None, "timeout"
            outcome = self.outcomes.get(timeout=timeout_s)
            return (outcome, "ok") if outcome is not None else (None, "exited")
        except queue.Empty:
            return None, "timeout"
        except OSError:  # the process is gone: its stdin is closed
            return None, "exited"
        finally:
            with self._log_lock:
                self._log = None

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


class LambdaRuntime:
    def __init__(
        self, *, run_dir: Path, endpoint_url: str, region: str, children: ChildProcesses | None = None
    ) -> None:
        self.run_dir = run_dir
        self.endpoint_url = endpoint_url
        self.region = region
        self.children = children or ChildProcesses()
        self._idle: dict[tuple[str, str], list[ExecutionEnvironment]] = {}  # (name, code and config) -> idle
        self._lock = threading.Lock()
        self.environments_started = 0  # cold starts, for tests and benchmarks

    def code_dir(self, function: FunctionPackage) -> Path:
        """The package unzipped once per code version (its SHA-256), as Lambda's /var/task."""
        digest = _code_digest(function.code_zip)[:16]
        target = self.run_dir / "lambda-code" / f"{function.name}-{digest}"
        with _extract_lock:
            if not target.is_dir():
                staging = target.with_name(target.name + ".partial")
                with zipfile.ZipFile(io.BytesIO(function.code_zip)) as archive:
                    archive.extractall(staging)
                staging.rename(target)
        return target

    def invoke(self, function: FunctionPackage, event: bytes) -> Invocation:
        request_id = str(uuid.uuid4())
        started = dt.datetime.now(dt.UTC)
        log_path = lambda_log_dir(self.run_dir, function.name) / f"{started:%Y%m%dT%H%M%S.%f}-{request_id[:8]}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        key = (function.name, _version_of(function))
        environment, cold = self._take(key, function)
        request = {
            "requestId": request_id,
            "event": (event or b"{}").decode(errors="replace"),
            "timeout": function.timeout_s,
        }
        with log_path.open("wb") as log:
            log.write(
                f"START RequestId: {request_id} Function: {function.name} Handler: {function.handler}"
                f"{' (cold start)' if cold else ''}\n".encode()
            )
            log.flush()
            outcome, ended = environment.serve(request, log, function.timeout_s)
        elapsed_ms = (dt.datetime.now(dt.UTC) - started).total_seconds() * 1000
        if outcome is not None:
            payload, errored = outcome["payload"], outcome["errored"]
            with self._lock:
                self._idle.setdefault(key, []).append(environment)
        else:
            # A timed-out invocation ends its environment, as Lambda resets it; so does a crash.
            self._discard(environment)
            if ended == "timeout":
                payload = {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"Task timed out after {function.timeout_s:.2f} seconds",
                }
            else:
                payload = {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with code "
                    f"{environment.process.returncode}; see {log_path}",
                }
            errored = True
        with log_path.open("a") as log_text:
            log_text.write(
                f"END RequestId: {request_id} Duration: {elapsed_ms:.0f} ms"
                + (f" Error: {payload.get('errorType')}" if errored else "")
                + "\n"
            )
        return Invocation(json.dumps(payload).encode(), errored, log_path)

    def _take(self, key: tuple[str, str], function: FunctionPackage) -> tuple[ExecutionEnvironment, bool]:
        """An idle environment of this code and configuration (warm), else a new one (cold)."""
        with self._lock:
            idle = self._idle.get(key, [])
            while idle:
                environment = idle.pop()
                if environment.alive:
                    return environment, False
                self._discard(environment)
            # A function updated since: its older environments will never be reused.
            for stale in [k for k in self._idle if k[0] == function.name and k != key]:
                for environment in self._idle.pop(stale):
                    self._discard(environment)
            self.environments_started += 1
        code = self.code_dir(function)
        process = self.children.start(
            [sys.executable, str(BOOTSTRAP)],
            cwd=code,
            env=self._environment(function, code),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        return ExecutionEnvironment(process), True

    def _discard(self, environment: ExecutionEnvironment) -> None:
        if environment.alive:
            environment.process.kill()
        environment.process.wait()
        self.children.reap(environment.process)

    def shutdown(self) -> None:
        """End every idle environment (the server's ChildProcesses ends the busy ones with it)."""
        with self._lock:
            environments = [e for idle in self._idle.values() for e in idle]
            self._idle.clear()
        for environment in environments:
            if environment.process.stdin is not None:
                environment.process.stdin.close()  # the loop ends at end of input
            try:
                environment.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                environment.process.kill()
                environment.process.wait()
            self.children.reap(environment.process)

    def _environment(self, function: FunctionPackage, code: Path) -> dict[str, str]:
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
        env = {name: os.environ[name] for name in keep if name in os.environ}
        env.update(function.environment)
        env.update(
            {
                # The deployed package is /var/task; nothing of the working tree is importable.
                "PYTHONPATH": str(code),
                "PYTHONUNBUFFERED": "1",
                "LAMBDA_TASK_ROOT": str(code),
                "_HANDLER": function.handler,
                "AWS_LAMBDA_FUNCTION_NAME": function.name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout_s),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
                # One log stream per execution environment, as in Lambda.
                "AWS_LAMBDA_LOG_STREAM_NAME": f"{dt.datetime.now(dt.UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
                "AWS_EXECUTION_ENV": "AWS_Lambda_python_local",
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                # Every SDK call of the handler goes to the local cloud.
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_SESSION_TOKEN": "local",
                "LOCAL_LAMBDA_FUNCTION_ARN": function.arn,
            }
        )
        # A function given an MLflow App ARN (MLFLOW_TRACKING_URI) reaches the App's data plane, which on
        # the local cloud is its MLflow server, through the endpoint the SageMaker MLflow plugin honours.
        mlflow_url = os.environ.get(MLFLOW_URL_ENV, "")
        if mlflow_url and env.get(tracking.TRACKING_URI_ENV, "").startswith("arn:"):
            env[tracking.CUSTOM_ENDPOINT_ENV] = mlflow_url
        return env


def _version_of(function: FunctionPackage) -> str:
    """What makes an environment reusable: the same code, handler, environment and limits."""
    config = json.dumps(
        [function.handler, function.environment, function.timeout_s, function.memory_mb], sort_keys=True
    )
    return hashlib.sha256((_code_digest(function.code_zip) + config).encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=64)
def _code_digest(code_zip: bytes) -> str:
    """A package's SHA-256, computed once per package rather than on every invocation (a few MB each):
    moto hands every invocation the same bytes object, whose hash Python keeps for the cache lookup."""
    return hashlib.sha256(code_zip).hexdigest()
