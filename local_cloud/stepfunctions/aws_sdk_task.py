"""The `arn:aws:states:::aws-sdk:<service>:<action>` task, its result passed on as Step Functions passes it.

moto's interpreter puts the boto3 response on the state as it is, `datetime` objects included, and
an intrinsic such as `States.JsonToString` then fails on them (TypeError) where AWS succeeds: AWS
SDK integrations hand timestamps on as ISO 8601 strings, e.g. `"CreationTime":
"2013-08-23T01:02:15.422Z"` (an execution's output quoted in sam-goodwin/functionless issue #489).
The `.sync` SageMaker integration is another matter: it passes epoch milliseconds
(local_cloud/stepfunctions/sagemaker_task.py).
"""

from __future__ import annotations

import datetime as dt


def to_sdk_json(value):
    """A boto3 response as an AWS SDK task's result: every timestamp an ISO 8601 UTC string (ms, "Z")."""
    if isinstance(value, dt.datetime):
        utc = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if isinstance(value, dict):
        return {k: to_sdk_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_sdk_json(v) for v in value]
    return value


def aws_sdk_task_class() -> type:
    """moto's StateTaskServiceAwsSdk, its result converted by `to_sdk_json`."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )

    class LocalAwsSdkTask(StateTaskServiceAwsSdk):
        def _eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            super()._eval_service_task(env, resource_runtime_part, normalised_parameters, state_credentials)
            env.stack.append(to_sdk_json(env.stack.pop()))

    return LocalAwsSdkTask
