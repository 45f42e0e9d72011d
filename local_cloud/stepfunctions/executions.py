"""`StepFunctionResponse` with what moto's executions lack: names for unnamed ones, a Distributed Map's children."""

from __future__ import annotations

import uuid

from moto.core.responses import ActionResult
from moto.stepfunctions.responses import StepFunctionResponse

from local_cloud.stepfunctions import map_run_children


class LocalExecutionsResponse(StepFunctionResponse):
    """StartExecution: "name - Optional name of the execution. ... If you don't provide a name for
    the execution, Step Functions automatically generates a universally unique identifier (UUID) as
    the execution name." moto's executing backend leaves it None ($$.Execution.Name is null and the
    ARN ends in ':None'). moto's own start_execution, with that one default.

    DescribeExecution, GetExecutionHistory and ListExecutions also answer for a Distributed Map's child
    executions (local_cloud/stepfunctions/map_run_children.py), which moto does not make: ListExecutions
    "mapRunArn - The Amazon Resource Name (ARN) of the Map Run that started the child workflow
    executions. If the mapRunArn field is specified, a list of all of the child workflow executions
    started by a Map Run is returned" (API reference, ListExecutions).
    """

    def start_execution(self) -> ActionResult:
        execution = self.stepfunction_backend.start_execution(
            self._get_param("stateMachineArn"),
            self._get_param("name") or str(uuid.uuid4()),
            self._get_param("input", if_none="{}"),
        )
        return ActionResult({"executionArn": execution.execution_arn, "startDate": execution.start_date})

    def describe_execution(self) -> ActionResult:
        child = map_run_children.find(self._get_param("executionArn") or "")
        return ActionResult(child.describe()) if child else super().describe_execution()

    def get_execution_history(self) -> ActionResult:
        child = map_run_children.find(self._get_param("executionArn") or "")
        if child is None:
            return super().get_execution_history()
        events = child.events.get_event_history()
        if self._get_param("reverseOrder"):
            events = list(reversed(events))
        return ActionResult({"events": events})

    def list_executions(self) -> ActionResult:
        map_run_arn = self._get_param("mapRunArn")
        if not map_run_arn:
            return super().list_executions()
        status = self._get_param("statusFilter")
        children = [c for c in map_run_children.children_of(map_run_arn) if status in (None, c.status)]
        return ActionResult({"executions": [child.list_item() for child in children]})
