"""validate_input: execution input -> run plan, or InvalidExecutionInput naming the field."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger

from lambdas.validate_input.plan import InvalidExecutionInput, plan_run

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    if not isinstance(event, dict) or "input" not in event:
        raise InvalidExecutionInput("input: the event carries no execution input")
    plan = plan_run(
        event["input"],
        execution_name=event.get("executionName") or "",
        bucket_name=os.environ.get("BUCKET_NAME", ""),
        max_trials=int(os.environ["MAX_TRIALS"]),
    )
    logger.info("run planned", extra={"experimentName": plan["experimentName"], "trials": len(plan["trials"])})
    return plan
