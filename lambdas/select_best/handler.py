"""select_best: each trial's outcome from TrainTrials' results, the records not written, and the best trial."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from contract import schema
from contract.events import BestTrial, SelectBestEvent, Selection
from lambdas.experiment_records.events import parse_event
from lambdas.select_best.selection import (
    NoCompletedTrial,
    previous_outcomes,
    select_best,
    trial_outcomes,
    unrecorded_records,
)

logger = Logger()
__all__ = ["handler", "NoCompletedTrial"]


def selection(request: SelectBestEvent) -> Selection:
    # A rerun's completed trials of the sweep first (in their order), then this execution's.
    outcomes = previous_outcomes(request.previous_trials) + trial_outcomes(request.trials, request.results)
    unrecorded = unrecorded_records(request.results, request.preprocessing_recording)
    if unrecorded:
        logger.warning("records not written", extra={"unrecorded": schema.dump(unrecorded)})
    objective = request.objective
    best = select_best(outcomes, objective)
    value = best.metrics[objective.metric]
    logger.info("best trial selected", extra={"trialName": best.trial_name, "metric": objective.metric, "value": value})
    return Selection(
        trials=outcomes,
        # The execution keeps what the transform and the output need, not the hyperparameters.
        best=BestTrial(
            trial_name=best.trial_name,
            training_job_name=best.training_job_name,
            metric=objective.metric,
            value=value,
            model_artifact=best.model_artifact or "",
        ),
        unrecorded=unrecorded,
    )


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return schema.dump(selection(parse_event(SelectBestEvent, event)))
