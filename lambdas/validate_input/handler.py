"""validate_input: execution input -> run plan (its trials written to S3), or InvalidExecutionInput naming the field."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from contract import schema
from contract.events import ValidateInputEvent
from lambdas.experiment_records.clients import s3_client, sagemaker_client
from lambdas.experiment_records.records import ExperimentRecords
from lambdas.experiment_records.run_files import put_json
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
    planned = plan_run(
        request.input,
        execution_name=request.execution_name,
        bucket_name=settings.bucket_name,
        max_trials=settings.max_trials,
    )
    plan = planned.plan
    # The trials this run would add to the experiment, against what it holds already (a retried
    # ValidateInput, or a name reused, does not count its own trials twice).
    names = {trial.trial_name for trial in planned.trials}
    existing = ExperimentRecords(sagemaker_client()).trial_names(plan.experiment_name)
    check_experiment_capacity(
        plan.experiment_name,
        existing_trials=len([name for name in existing if name not in names]),
        new_trials=len(names),
    )
    # Only once the input is accepted: a refused start writes nothing. The Distributed Map reads its
    # items from this file; the state carries the pointer, whatever the sweep's size.
    put_json(s3_client(), plan.trials.bucket, plan.trials.key, schema.dump(planned.trials))
    logger.info("run planned", extra={"experimentName": plan.experiment_name, "trials": plan.trials.count})
    return schema.dump(plan)
