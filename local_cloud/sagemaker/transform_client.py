"""The batch transform's HTTP client of the model server: wait for /ping, POST to /invocations."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request

from local_cloud.proc import ProcessExited, wait_until_ok
from local_cloud.sagemaker.job_run import JobFailure

SERVE_READY_TIMEOUT_S = 120


class TransformError(JobFailure):
    """The model server failed a request or never came up; the message is the FailureReason."""


def wait_until_serving(endpoint: str, server: subprocess.Popen, timeout_s: float = SERVE_READY_TIMEOUT_S) -> None:
    try:
        wait_until_ok(endpoint + "/ping", timeout_s, alive=lambda: server.poll() is None)
    except ProcessExited:
        raise TransformError(
            f"ClientError: the model server exited with code {server.returncode} before "
            "answering /ping; see the transform job's log"
        ) from None
    except TimeoutError:
        raise TransformError(f"ClientError: the model server did not answer /ping within {timeout_s:.0f} s") from None


def invoke(endpoint: str, body: bytes, *, content_type: str | None, accept: str | None) -> bytes:
    headers = {"Content-Type": content_type or "application/octet-stream"}
    if accept:
        headers["Accept"] = accept
    request = urllib.request.Request(endpoint + "/invocations", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        detail = error.read()[:500].decode(errors="replace")
        raise TransformError(f"ClientError: /invocations answered {error.code}: {detail}") from None
