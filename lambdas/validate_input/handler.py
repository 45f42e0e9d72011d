"""validate_input: execution input -> run plan, or InvalidExecutionInput naming the field (or the trials quota)."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from contract import schema
from contract.events import ValidateInputEvent
from lambdas.experiment_records.clients import sagemaker_client
from lambdas.experiment_records.records import ExperimentRecords
from lambdas.experiment_records.settings import FunctionSettings
from lambdas.validate_input.plan import InvalidExecutionInput, check_experiment_capacity, plan_run

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
    # The trials this run would add to the experiment, against what it holds already (a retried
    # ValidateInput, or a name reused, does not count its own trials twice).
    planned = {trial.trial_name for trial in plan.trials}
    existing = ExperimentRecords(sagemaker_client()).trial_names(plan.experiment_name)
    check_experiment_capacity(
        plan.experiment_name,
        existing_trials=len([name for name in existing if name not in planned]),
        new_trials=len(planned),
    )
    logger.info("run planned", extra={"experimentName": plan.experiment_name, "trials": len(plan.trials)})
    return schema.dump(plan)
