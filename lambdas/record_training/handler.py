"""record_training: a trial's training outcome on its training component; returns the trial's result."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger

import contract
from contract import names, schema
from contract.events import COMPLETED, RecordTrainingEvent, TrialOutcome
from contract.run_plan import TrialPlan
from lambdas.experiment_records.clients import sagemaker_client
from lambdas.experiment_records.events import parse_event
from lambdas.experiment_records.outcome import training_outcome
from lambdas.experiment_records.records import ComponentStatus, ExperimentRecords, artifacts_of

logger = Logger()


def record_training(records: ExperimentRecords, trial: TrialPlan, outcome: TrialOutcome) -> TrialOutcome:
    """Make sure the trial holds a training component that tells the outcome.

    A job started with ExperimentConfig gets its component `<job>-aws-training-job` from
    SageMaker (status, hyperparameters, metrics, model artifact): it is only associated (again,
    harmlessly). A job that failed before SageMaker made one (e.g. CreateTrainingJob refused)
    gets one created here: status Failed with the failure reason, the hyperparameters (typed as
    SageMaker types a job's: the analytics' columns hold one type)."""
    name = names.training_component_name(trial.training_job_name)
    if records.describe_component(name) is None:
        if outcome.status == COMPLETED:
            # Not expected from SageMaker; recorded anyway so the lineage holds the model. The API
            # has no call to write metrics: they stay in this function's output.
            logger.warning("completed training job left no component", extra={"trialComponentName": name})
        outputs = {contract.SAGEMAKER_MODEL_ARTIFACT: outcome.model_artifact} if outcome.model_artifact else {}
        now = datetime.now(UTC)
        records.ensure_component(
            name,
            display_name=contract.TRAINING_DISPLAY_NAME,
            status=ComponentStatus(outcome.status, outcome.failure_reason),
            parameters={k: contract.job_hyperparameter(v) for k, v in trial.hyperparameters.items()},
            output_artifacts=artifacts_of(outputs) if outputs else None,
            start_time=now,
            end_time=now,
        )
    records.associate(name, trial.trial_name)
    logger.info(
        "training recorded",
        extra={"trialName": trial.trial_name, "status": outcome.status, "failureReason": outcome.failure_reason},
    )
    return outcome


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    request = parse_event(RecordTrainingEvent, event)
    outcome = training_outcome(request.trial, request.training, request.error)
    return schema.dump(record_training(ExperimentRecords(sagemaker_client()), request.trial, outcome))
