"""record_experiment: the experiment and every trial, created if absent, before any job starts."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from contract import schema
from contract.events import RecordExperimentResult
from contract.run_plan import RunPlan
from lambdas.experiment_records.clients import sagemaker_client
from lambdas.experiment_records.events import parse_event
from lambdas.experiment_records.records import ExperimentRecords

logger = Logger()


def record_experiment(records: ExperimentRecords, plan: RunPlan) -> RecordExperimentResult:
    created = records.ensure_experiment(plan.experiment_name)
    # Every trial before any job: a job's ExperimentConfig.TrialName must name an existing trial
    # (ExperimentConfig: "The name of an existing trial to associate the trial component with").
    trials_created = sum(records.ensure_trial(t.trial_name, experiment_name=plan.experiment_name) for t in plan.trials)
    logger.info(
        "experiment recorded",
        extra={"experimentName": plan.experiment_name, "experimentCreated": created, "trialsCreated": trials_created},
    )
    return RecordExperimentResult(experiment_name=plan.experiment_name, trial_names=[t.trial_name for t in plan.trials])


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return schema.dump(record_experiment(ExperimentRecords(sagemaker_client()), parse_event(RunPlan, event)))
