"""select_best: every trial's outcome from the Map Run's results in S3, the records not written, the best trial."""

from __future__ import annotations

import json

from aws_lambda_powertools import Logger

from contract import schema, tracking
from contract.events import (
    COMPLETED,
    BestTrial,
    MapRunResult,
    MlflowMiss,
    OutcomesSummary,
    SelectBestEvent,
    Selection,
    SweepOutcomes,
    TaskError,
    TrialIteration,
    TrialOutcome,
    TrialResult,
)
from contract.layout import split_s3_uri
from contract.run_plan import TrialPlan
from lambdas.experiment_records.clients import s3_client
from lambdas.experiment_records.events import parse_event
from lambdas.experiment_records.mlflow_client import MlflowClient, MlflowError
from lambdas.experiment_records.mlflow_records import ExecutionRuns, client_from_environment
from lambdas.experiment_records.run_files import get_json, put_json, read_trials
from lambdas.select_best.selection import (
    NoCompletedTrial,
    merge_rerun,
    select_best,
    trial_outcomes,
    unrecorded_records,
)

logger = Logger()
__all__ = ["handler", "NoCompletedTrial"]


def map_run_results(s3, results: MapRunResult) -> list[TrialResult]:
    """The children's results, from the files the Map Run's manifest lists ("ResultWriter": each file a
    JSON array of the children's executions; a succeeded child's Output is its TrialResult, a failed
    one's Input its TrialIteration, with its Error and Cause)."""
    details = results.result_writer_details
    manifest = get_json(s3, details.bucket, details.key)
    files = manifest.get("ResultFiles") or {}
    found: list[TrialResult] = []
    for status in ("SUCCEEDED", "FAILED", "PENDING"):
        for entry in files.get(status) or []:
            for child in get_json(s3, manifest.get("DestinationBucket") or details.bucket, entry["Key"]):
                result = _child_result(child)
                if result is not None:
                    found.append(result)
    return found


def _child_result(child: dict) -> TrialResult | None:
    if child.get("Status") == "SUCCEEDED" and child.get("Output"):
        return schema.parse(TrialResult, json.loads(child["Output"]), "child output")
    if not child.get("Input"):
        return None  # a child the writer kept no input of: its trial is found missing
    iteration = schema.parse(TrialIteration, json.loads(child["Input"]), "child input")
    return TrialResult(
        trial_name=iteration.trial.trial_name,
        training_job_name=iteration.trial.training_job_name,
        error=TaskError(
            error=str(child.get("Error") or child.get("Status") or "ChildFailed"),
            cause=str(child.get("Cause") or f"its child execution {child.get('ExecutionArn', '')} ended"),
        ),
    )


def record_in_mlflow(
    mlflow: MlflowClient | None,
    request: SelectBestEvent,
    plan: list[TrialPlan],
    outcomes: list[TrialOutcome],
    best: BestTrial | None,
) -> list[MlflowMiss]:
    """Each trial's MLflow run completed from its outcome, the best tagged on the execution's run; what
    could not be recorded, never an error (the SageMaker records and the outcomes file stand)."""
    if mlflow is None:
        return []
    runs = ExecutionRuns(mlflow, request.experiment_name, request.execution_name)
    transform = (
        {
            tracking.TRANSFORM_JOB_TAG: request.transform.job_name,
            tracking.TRANSFORM_OUTPUT_TAG: request.transform.output_s3_uri,
        }
        if request.transform and best
        else {}
    )
    try:
        misses = []
        if request.preprocessing and not runs.has_preprocessing_run(request.preprocessing.job_name):
            misses.append(MlflowMiss(what="preprocessing run", reason="RecordPreprocessing could not record it"))
        return misses + runs.record_trials(plan, outcomes, best, transform)
    except MlflowError as error:
        return [
            MlflowMiss(what="execution run and trial runs", reason=str(error), trials=[o.trial_name for o in outcomes])
        ]


def selection(request: SelectBestEvent, s3, mlflow: MlflowClient | None = None) -> Selection:
    plan = read_trials(s3, request.trials)
    results = map_run_results(s3, request.results)
    outcomes = trial_outcomes(plan, results, map_run_arn=request.results.map_run_arn)
    if request.previous_outcomes:
        # A rerun: the sweep's earlier outcomes, each retrained trial's replaced by its new attempt.
        previous = schema.parse(SweepOutcomes, get_json(s3, *split_s3_uri(request.previous_outcomes)), "outcomes file")
        outcomes = merge_rerun(previous.trials, outcomes)
    unrecorded = unrecorded_records(results, request.preprocessing_recording)
    if unrecorded:
        logger.warning("records not written", extra={"unrecorded": schema.dump(unrecorded)})
    objective = request.objective
    try:
        chosen = select_best(outcomes, objective)
        # The execution keeps what the transform and the output need, not the hyperparameters.
        best: BestTrial | None = BestTrial(
            trial_name=chosen.trial_name,
            training_job_name=chosen.training_job_name,
            metric=objective.metric,
            value=chosen.metrics[objective.metric],
            model_artifact=chosen.model_artifact or "",
        )
        no_best: NoCompletedTrial | None = None
    except NoCompletedTrial as refused:
        best, no_best = None, refused
    mlflow_misses = record_in_mlflow(mlflow, request, plan, outcomes, best)
    if mlflow_misses:
        logger.warning("not recorded in MLflow", extra={"mlflowUnrecorded": schema.dump(mlflow_misses)})
    put_json(
        s3,
        *split_s3_uri(request.outcomes_s3_uri),
        schema.dump(
            SweepOutcomes(
                experiment_name=request.experiment_name,
                execution_name=request.execution_name,
                trials=outcomes,
                unrecorded=unrecorded,
                mlflow_unrecorded=mlflow_misses,
            )
        ),
    )
    completed = sum(1 for outcome in outcomes if outcome.status == COMPLETED)
    summary = OutcomesSummary(
        s3_uri=request.outcomes_s3_uri,
        trials=len(outcomes),
        completed=completed,
        failed=len(outcomes) - completed,
        unrecorded=len(unrecorded),
        mlflow_unrecorded=[miss.line() for miss in mlflow_misses],
    )
    # After the outcomes are written: a sweep with no completed trial still leaves them to read.
    if best is None:
        assert no_best is not None
        raise no_best
    logger.info("best trial selected", extra={"trialName": best.trial_name, "metric": best.metric, "value": best.value})
    return Selection(best=best, outcomes=summary)


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return schema.dump(selection(parse_event(SelectBestEvent, event), s3_client(), client_from_environment()))
