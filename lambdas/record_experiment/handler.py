"""record_experiment: the experiment and the preprocessing trial component, created if absent."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger

import contract
from lambdas.experiment_records.clients import sagemaker_client
from lambdas.experiment_records.events import RunPlan
from lambdas.experiment_records.records import ComponentStatus, ExperimentRecords, artifacts_of

logger = Logger()


def record_experiment(records: ExperimentRecords, plan: RunPlan) -> dict:
    created = records.ensure_experiment(plan.experiment_name)
    component_created = records.ensure_component(
        plan.preprocessing_component_name,
        display_name=contract.PREPROCESSING_DISPLAY_NAME,
        status=ComponentStatus("InProgress"),
        input_artifacts=artifacts_of({contract.DATASET_ARTIFACT: plan.dataset_s3_uri}),
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
    return {"experimentName": plan.experiment_name, "trialComponentName": plan.preprocessing_component_name}


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return record_experiment(ExperimentRecords(sagemaker_client()), RunPlan.parse(event))
