"""select_best: the best completed trial, or NoCompletedTrial listing each trial's status."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from contract import schema
from contract.events import BestTrial, SelectBestEvent
from lambdas.experiment_records.events import parse_event
from lambdas.select_best.selection import NoCompletedTrial, select_best

logger = Logger()
__all__ = ["handler", "NoCompletedTrial"]


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    request = parse_event(SelectBestEvent, event)
    objective = request.objective
    best = select_best(request.trials, objective)
    value = best.metrics[objective.metric]
    logger.info("best trial selected", extra={"trialName": best.trial_name, "metric": objective.metric, "value": value})
    return schema.dump(
        BestTrial(
            trial_name=best.trial_name,
            training_job_name=best.training_job_name,
            metric=objective.metric,
            value=value,
            model_artifact=best.model_artifact or "",
            hyperparameters=dict(best.hyperparameters),
        )
    )
