"""select_best: every trial's outcome from the Map Run's results in S3, the records not written, the best trial."""

from __future__ import annotations

import json

from aws_lambda_powertools import Logger

from contract import schema
from contract.events import (
    COMPLETED,
    BestTrial,
    MapRunResult,
    OutcomesSummary,
    SelectBestEvent,
    Selection,
    SweepOutcomes,
    TaskError,
    TrialIteration,
    TrialResult,
)
from contract.layout import split_s3_uri
from lambdas.experiment_records.clients import s3_client
from lambdas.experiment_records.events import parse_event
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


def selection(request: SelectBestEvent, s3) -> Selection:
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
    put_json(
        s3,
        *split_s3_uri(request.outcomes_s3_uri),
        schema.dump(
            SweepOutcomes(
                experiment_name=request.experiment_name,
                execution_name=request.execution_name,
                trials=outcomes,
                unrecorded=unrecorded,
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
    )
    # After the outcomes are written: a sweep with no completed trial still leaves them to read.
    objective = request.objective
    best = select_best(outcomes, objective)
    value = best.metrics[objective.metric]
    logger.info("best trial selected", extra={"trialName": best.trial_name, "metric": objective.metric, "value": value})
    return Selection(
        # The execution keeps what the transform and the output need, not the hyperparameters.
        best=BestTrial(
            trial_name=best.trial_name,
            training_job_name=best.training_job_name,
            metric=objective.metric,
            value=value,
            model_artifact=best.model_artifact or "",
        ),
        outcomes=summary,
    )


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return schema.dump(selection(parse_event(SelectBestEvent, event), s3_client()))
