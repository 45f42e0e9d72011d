"""`StepFunctionResponse` with StartExecution naming an unnamed execution, as AWS does."""

from __future__ import annotations

import uuid

from moto.core.responses import ActionResult
from moto.stepfunctions.responses import StepFunctionResponse


class NamedExecutionsResponse(StepFunctionResponse):
    """StartExecution: "name - Optional name of the execution. ... If you don't provide a name for
    the execution, Step Functions automatically generates a universally unique identifier (UUID) as
    the execution name." moto's executing backend leaves it None ($$.Execution.Name is null and the
    ARN ends in ':None'). moto's own start_execution, with that one default.
    """

    def start_execution(self) -> ActionResult:
        execution = self.stepfunction_backend.start_execution(
            self._get_param("stateMachineArn"),
            self._get_param("name") or str(uuid.uuid4()),
            self._get_param("input", if_none="{}"),
        )
        return ActionResult({"executionArn": execution.execution_arn, "startDate": execution.start_date})
