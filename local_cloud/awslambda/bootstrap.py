"""Lambda's Python runtime loop for one invocation: import the handler, call it, write the result.

Started by local_cloud/awslambda/runtime.py in the unzipped code package with the event on stdin. Like Lambda's
runtime, an exception becomes {"errorType": <class name>, "errorMessage", "stackTrace"}.
"""

import importlib
import json
import os
import sys
import time
import traceback


class LambdaContext:
    def __init__(self) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = os.environ["LOCAL_LAMBDA_FUNCTION_ARN"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.aws_request_id = os.environ["LOCAL_LAMBDA_REQUEST_ID"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + int(os.environ["AWS_LAMBDA_FUNCTION_TIMEOUT"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    result_file = os.environ["LOCAL_LAMBDA_RESULT_FILE"]
    sys.path[0] = os.environ["LAMBDA_TASK_ROOT"]  # not this script's folder: only the package is importable
    try:
        event = json.loads(sys.stdin.read() or "{}")
        module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
        handler = getattr(importlib.import_module(module_name), function_name)
        payload, errored = handler(event, LambdaContext()), False
        json.dumps(payload)  # unserialisable output is an error, as in Lambda
    except Exception as error:  # noqa: BLE001 - every handler error goes back to the caller
        # The handler's frames only, not this loop's (as Lambda's runtime reports them).
        frames = error.__traceback__.tb_next or error.__traceback__ if error.__traceback__ else None
        traceback.print_exception(type(error), error, frames)
        payload = {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "requestId": os.environ.get("LOCAL_LAMBDA_REQUEST_ID"),
            "stackTrace": traceback.format_tb(frames),
        }
        errored = True
    sys.stdout.flush()
    with open(result_file, "w") as out:
        json.dump({"payload": payload, "errored": errored}, out, default=str)


if __name__ == "__main__":
    main()
