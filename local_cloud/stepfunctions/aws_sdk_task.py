"""The `arn:aws:states:::aws-sdk:<service>:<action>` task, its result passed on as Step Functions passes it.

moto's task leaves boto3's `datetime`s in the state; AWS SDK integrations hand timestamps on as
ISO 8601 strings (local_cloud/stepfunctions/timestamps.py).
"""

from __future__ import annotations

from local_cloud.stepfunctions.timestamps import to_sdk_json


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
