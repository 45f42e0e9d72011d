"""select_best: the best completed trial, or NoCompletedTrial listing each trial's status."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from lambdas.experiment_records.events import InvalidEvent, Objective, TrialOutcome
from lambdas.select_best.selection import NoCompletedTrial, select_best

logger = Logger()
__all__ = ["handler", "NoCompletedTrial"]


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    if not isinstance(event, dict) or not isinstance(event.get("trials"), list):
        raise InvalidEvent("trials: missing or not a list")
    trials = [TrialOutcome.parse(t, f"trials[{i}]") for i, t in enumerate(event["trials"])]
    objective = Objective.parse(event.get("objective"))
    best = select_best(trials, objective)
    value = best.metrics[objective.metric]
    logger.info("best trial selected", extra={"trialName": best.trial_name, "metric": objective.metric, "value": value})
    return {
        "trialName": best.trial_name,
        "trainingJobName": best.training_job_name,
        "metric": objective.metric,
        "value": value,
        "modelArtifact": best.model_artifact,
        "hyperparameters": dict(best.hyperparameters),
    }
