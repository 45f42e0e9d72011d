"""Invoke on moto's LambdaFunction answered by running the function's package (runtime.py), sync or async."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from moto.core.exceptions import JsonRESTError

from local_cloud.awslambda.runtime import FunctionPackage

if TYPE_CHECKING:
    from local_cloud.runtime import LocalRuntime


class TooManyRequestsException(JsonRESTError):
    """Invoke refused for concurrency (HTTP 429): "The request throughput limit was exceeded" (Lambda API
    reference, Invoke errors); Step Functions reports it as Lambda.TooManyRequestsException."""

    code = 429

    def __init__(self) -> None:
        super().__init__("TooManyRequestsException", "Rate Exceeded.")
        self.description = json.dumps(
            {
                "__type": "TooManyRequestsException",
                "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
                "Type": "User",
                "message": "Rate Exceeded.",
            }
        )


def package_of(function: Any) -> FunctionPackage:
    """What the runtime needs of moto's LambdaFunction: name, ARN, handler, zip, environment, limits."""
    return FunctionPackage(
        name=function.function_name,
        arn=function.function_arn,
        handler=function.handler,
        code_zip=function.code_bytes,
        environment=dict(function.environment_vars or {}),
        timeout_s=int(function.timeout or 3),  # CreateFunction: "Timeout ... The default is 3 seconds."
        memory_mb=int(function.memory_size or 128),  # "MemorySize ... The default value is 128 MB."
    )


def invoke(
    runtime: LocalRuntime, function: Any, body: bytes | str | None, request_headers: Any, response_headers: dict
) -> bytes:
    """The Invoke response body; sets X-Amz-Function-Error as Lambda does for a handler's error."""
    package = package_of(function)
    if runtime.throttled(package.name):
        raise TooManyRequestsException()
    if isinstance(body, str):
        body = body.encode()
    headers = {k.lower(): v for k, v in dict(request_headers or {}).items()}
    if headers.get("x-amz-invocation-type") == "Event":
        # Invoke: "Event - Invoke the function asynchronously. Send events that fail multiple times to
        # the function's dead-letter queue": Lambda answers 202 at once and runs the function on its own.
        threading.Thread(target=runtime.lambdas.invoke, args=(package, body or b"{}"), daemon=True).start()
        return b""
    result = runtime.lambdas.invoke(package, body or b"{}")
    if result.errored:
        print(
            f"Lambda {package.name} failed: {result.payload[:200].decode(errors='replace')}; log: {result.log_path}",
            flush=True,
        )
        response_headers["x-amz-function-error"] = "Unhandled"
    response_headers["x-amz-executed-version"] = "$LATEST"
    return result.payload
