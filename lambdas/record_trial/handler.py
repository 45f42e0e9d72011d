"""record_trial: one trial per hyperparameter variant, with the preprocessing component associated."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from contract import schema
from contract.events import RecordTrialEvent, RecordTrialResult
from contract.run_plan import TrialPlan
from lambdas.experiment_records.clients import sagemaker_client
from lambdas.experiment_records.events import parse_event
from lambdas.experiment_records.records import ExperimentRecords

logger = Logger()


def record_trial(
    records: ExperimentRecords, experiment_name: str, trial: TrialPlan, preprocessing_component: str
) -> RecordTrialResult:
    created = records.ensure_trial(trial.trial_name, experiment_name=experiment_name)
    # As in the notebook: every trial holds the one preprocessing component.
    records.associate(preprocessing_component, trial.trial_name)
    logger.info("trial recorded", extra={"trialName": trial.trial_name, "trialCreated": created})
    return RecordTrialResult(trial_name=trial.trial_name)


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    request = parse_event(RecordTrialEvent, event)
    records = ExperimentRecords(sagemaker_client())
    return schema.dump(
        record_trial(records, request.experiment_name, request.trial, request.preprocessing_trial_component_name)
    )
