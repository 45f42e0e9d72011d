"""validate_input: execution input -> run plan, or InvalidExecutionInput naming the field."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from contract import schema
from contract.events import ValidateInputEvent
from lambdas.experiment_records.settings import FunctionSettings
from lambdas.validate_input.plan import InvalidExecutionInput, plan_run

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    if not isinstance(event, dict) or "input" not in event:
        raise InvalidExecutionInput("input: the event carries no execution input")
    # A misconfigured function fails with the variable's name (FunctionMisconfigured), never as the
    # user's InvalidExecutionInput. Read per call (microseconds), so a changed environment is seen.
    settings = FunctionSettings.from_environment()
    request = ValidateInputEvent(input=event["input"], execution_name=event.get("executionName") or "")
    plan = plan_run(
        request.input,
        execution_name=request.execution_name,
        bucket_name=settings.bucket_name,
        max_trials=settings.max_trials,
    )
    logger.info("run planned", extra={"experimentName": plan.experiment_name, "trials": len(plan.trials)})
    return schema.dump(plan)
