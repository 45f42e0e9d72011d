"""record_experiment: the experiment and the preprocessing trial component, created if absent."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger

import contract
from contract import schema
from contract.events import RecordExperimentResult
from contract.run_plan import RunPlan
from lambdas.experiment_records.clients import sagemaker_client
from lambdas.experiment_records.events import parse_event
from lambdas.experiment_records.records import ComponentStatus, ExperimentRecords, artifacts_of

logger = Logger()


def record_experiment(records: ExperimentRecords, plan: RunPlan) -> RecordExperimentResult:
    created = records.ensure_experiment(plan.experiment_name)
    component_created = records.ensure_component(
        plan.preprocessing.trial_component_name,
        display_name=contract.PREPROCESSING_DISPLAY_NAME,
        status=ComponentStatus("InProgress"),
        input_artifacts=artifacts_of({contract.DATASET_ARTIFACT: plan.dataset.s3_uri}),
        start_time=datetime.now(UTC),
    )
    logger.info(
        "experiment recorded",
        extra={
            "experimentName": plan.experiment_name,
            "experimentCreated": created,
            "componentCreated": component_created,
        },
    )
    return RecordExperimentResult(
        experiment_name=plan.experiment_name, trial_component_name=plan.preprocessing.trial_component_name
    )


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return schema.dump(record_experiment(ExperimentRecords(sagemaker_client()), parse_event(RunPlan, event)))
