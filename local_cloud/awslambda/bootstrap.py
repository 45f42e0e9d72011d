"""Lambda's Python runtime loop in one execution environment: import the handler once, then serve invocations.

Started by local_cloud/awslambda/runtime.py in the unzipped code package. As in Lambda, the handler's
module is imported once per execution environment (its module-level clients are created once), the
end of that init phase is announced with INIT_MARK, and the handler is called for each invocation
the environment is given, one at a time. An invocation is one JSON line on stdin ({"requestId",
"event": the payload's text, "timeout": seconds}); what the handler prints goes to stdout, and the
outcome follows it as one line that starts with RESULT_MARK. Like Lambda's runtime, an exception
becomes {"errorType": <class name>, "errorMessage", "stackTrace"}.
"""

import importlib
import json
import os
import sys
import time
import traceback

RESULT_MARK = "\x1elocal-lambda-result "  # the line that ends an invocation's output (runtime.py reads it)
INIT_MARK = "\x1elocal-lambda-init-done\n"  # the init phase is over: invocations' timeouts start from here


class LambdaContext:
    def __init__(self, request_id: str, deadline: float) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = os.environ["LOCAL_LAMBDA_FUNCTION_ARN"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.aws_request_id = request_id
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline = deadline  # time.time() seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _error(error: BaseException, request_id: str) -> dict:
    # The handler's frames only, not this loop's (as Lambda's runtime reports them).
    frames = error.__traceback__.tb_next or error.__traceback__ if error.__traceback__ else None
    traceback.print_exception(type(error), error, frames)
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(frames),
    }


def main() -> None:
    sys.path[0] = os.environ["LAMBDA_TASK_ROOT"]  # not this script's folder: only the package is importable
    handler, init_error = None, None
    try:  # the init phase: once per execution environment
        module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as error:  # noqa: BLE001 - reported on each invocation, as Lambda reports an init error
        init_error = error
    sys.stdout.write(INIT_MARK)
    sys.stdout.flush()
    for line in sys.stdin:
        request = json.loads(line)
        request_id = request["requestId"]
        try:
            if init_error is not None:
                raise init_error
            assert handler is not None
            event = json.loads(request["event"] or "{}")
            deadline = time.time() + request["timeout"]
            payload, errored = handler(event, LambdaContext(request_id, deadline)), False
            json.dumps(payload)  # unserialisable output is an error, as in Lambda
        except Exception as error:  # noqa: BLE001 - every handler error goes back to the caller
            payload, errored = _error(error, request_id), True
        sys.stderr.flush()
        sys.stdout.write(RESULT_MARK + json.dumps({"payload": payload, "errored": errored}, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
