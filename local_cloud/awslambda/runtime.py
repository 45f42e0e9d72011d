"""Runs a deployed Lambda function's code package with its handler, one process per invocation.

Knows nothing of moto: it takes the function's zip (the package CDK uploaded), handler, environment
and timeout, runs the handler in a fresh interpreter (the venv's, which supplies boto3 as the
Lambda runtime does; Powertools comes from the package itself, which PYTHONPATH puts ahead of the
venv's site-packages) pointed at the local cloud, and returns the payload
Lambda would return. Each invocation's output is kept as a log file in the run folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from local_cloud.run_logs import lambda_log_dir
from local_cloud.sagemaker.processes import ChildProcesses

BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap.py"
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


class LambdaRuntime:
    def __init__(
        self, *, run_dir: Path, endpoint_url: str, region: str, children: ChildProcesses | None = None
    ) -> None:
        self.run_dir = run_dir
        self.endpoint_url = endpoint_url
        self.region = region
        self.children = children or ChildProcesses()

    def code_dir(self, function: FunctionPackage) -> Path:
        """The package unzipped once per code version (its SHA-256), as Lambda's /var/task."""
        digest = hashlib.sha256(function.code_zip).hexdigest()[:16]
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
        log = lambda_log_dir(self.run_dir, function.name) / f"{started:%Y%m%dT%H%M%S.%f}-{request_id[:8]}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        result_file = log.with_suffix(".result.json")
        code = self.code_dir(function)
        env = self._environment(function, code, request_id, log, result_file)
        with log.open("wb") as out:
            out.write(f"START RequestId: {request_id} Function: {function.name} Handler: {function.handler}\n".encode())
            out.flush()
            process = self.children.start(
                [sys.executable, str(BOOTSTRAP)],
                cwd=code,
                env=env,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                process.communicate(event or b"{}", timeout=function.timeout_s + 1)  # + interpreter start
                timed_out = False
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                timed_out = True
            finally:
                self.children.reap(process)
        elapsed_ms = (dt.datetime.now(dt.UTC) - started).total_seconds() * 1000
        if timed_out:
            payload = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"Task timed out after {function.timeout_s:.2f} seconds",
            }
            errored = True
        elif result_file.is_file():
            outcome = json.loads(result_file.read_text())
            payload, errored = outcome["payload"], outcome["errored"]
            result_file.unlink()
        else:
            payload = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with code "
                f"{process.returncode}; see {log}",
            }
            errored = True
        with log.open("a") as out:
            out.write(
                f"END RequestId: {request_id} Duration: {elapsed_ms:.0f} ms"
                + (f" Error: {payload.get('errorType')}" if errored else "")
                + "\n"
            )
        return Invocation(json.dumps(payload).encode(), errored, log)

    def _environment(
        self, function: FunctionPackage, code: Path, request_id: str, log: Path, result_file: Path
    ) -> dict[str, str]:
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
                "AWS_LAMBDA_LOG_STREAM_NAME": log.name,
                "AWS_EXECUTION_ENV": "AWS_Lambda_python_local",
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                # Every SDK call of the handler goes to the local cloud.
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_SESSION_TOKEN": "local",
                "LOCAL_LAMBDA_FUNCTION_ARN": function.arn,
                "LOCAL_LAMBDA_REQUEST_ID": request_id,
                "LOCAL_LAMBDA_RESULT_FILE": str(result_file),
            }
        )
        return env
