"""record_trial: one trial per hyperparameter variant, with the preprocessing component associated."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from lambdas.experiment_records.clients import sagemaker_client
from lambdas.experiment_records.events import TrialPlan, required_str
from lambdas.experiment_records.records import ExperimentRecords

logger = Logger()


def record_trial(
    records: ExperimentRecords, experiment_name: str, trial: TrialPlan, preprocessing_component: str
) -> dict:
    created = records.ensure_trial(trial.trial_name, experiment_name=experiment_name)
    # As in the notebook: every trial holds the one preprocessing component.
    records.associate(preprocessing_component, trial.trial_name)
    logger.info("trial recorded", extra={"trialName": trial.trial_name, "trialCreated": created})
    return {"trialName": trial.trial_name}


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return record_trial(
        ExperimentRecords(sagemaker_client()),
        required_str(event, "experimentName"),
        TrialPlan.parse(event.get("trial") if isinstance(event, dict) else None),
        required_str(event, "preprocessingTrialComponentName"),
    )
