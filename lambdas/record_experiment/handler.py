"""record_experiment: the experiment and the plan's trials (read from S3), created if absent, before any job starts."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from contract import schema
from contract.events import RecordExperimentResult
from contract.run_plan import RunPlan, TrialPlan
from lambdas.experiment_records.clients import s3_client, sagemaker_client
from lambdas.experiment_records.events import parse_event
from lambdas.experiment_records.mlflow_client import MlflowClient
from lambdas.experiment_records.mlflow_records import ExecutionRuns, client_from_environment, recorded
from lambdas.experiment_records.records import ExperimentRecords
from lambdas.experiment_records.run_files import read_trials

logger = Logger()


def record_experiment(
    records: ExperimentRecords, plan: RunPlan, trials: list[TrialPlan], mlflow: MlflowClient | None = None
) -> RecordExperimentResult:
    created = records.ensure_experiment(plan.experiment_name)
    # Every trial before any job: a job's ExperimentConfig.TrialName must name an existing trial
    # (ExperimentConfig: "The name of an existing trial to associate the trial component with").
    trials_created = sum(records.ensure_trial(t.trial_name, experiment_name=plan.experiment_name) for t in trials)
    if mlflow is not None:
        # The execution's MLflow run, before any job logs to its experiment; a miss is logged here and
        # found again by SelectBest, which makes the run if it is still absent.
        for miss in recorded(
            lambda: ExecutionRuns(mlflow, plan.experiment_name, plan.execution_name).record_execution(plan),
            "execution run",
        ):
            logger.warning("not recorded in MLflow", extra={"what": miss.what, "reason": miss.reason})
    logger.info(
        "experiment recorded",
        extra={"experimentName": plan.experiment_name, "experimentCreated": created, "trialsCreated": trials_created},
    )
    return RecordExperimentResult(
        experiment_name=plan.experiment_name, trials=len(trials), trials_created=trials_created
    )


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    plan = parse_event(RunPlan, event)
    return schema.dump(
        record_experiment(
            ExperimentRecords(sagemaker_client()),
            plan,
            read_trials(s3_client(), plan.trials),
            client_from_environment(),
        )
    )
