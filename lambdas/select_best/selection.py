"""The best completed trial by the objective metric and goal (pure; ties go to the earlier trial)."""

from __future__ import annotations

import math

from contract import errors
from contract.events import COMPLETED, TrialOutcome
from contract.run_plan import Objective


class NoCompletedTrial(Exception):
    """No trial completed with the objective metric (Step Functions error name)."""


assert NoCompletedTrial.__name__ == errors.NO_COMPLETED_TRIAL


def select_best(trials: list[TrialOutcome], objective: Objective) -> TrialOutcome:
    candidates = [
        (index, trial)
        for index, trial in enumerate(trials)
        if trial.status == COMPLETED
        and trial.model_artifact
        and math.isfinite(trial.metrics.get(objective.metric, math.nan))
    ]
    if not candidates:
        raise NoCompletedTrial(
            f"no trial completed with metric {objective.metric}: "
            + "; ".join(_describe(trial, objective.metric) for trial in trials)
            if trials
            else f"no trial completed with metric {objective.metric}: no trials ran"
        )
    sign = -1.0 if objective.goal == "Maximize" else 1.0
    # Deterministic: equal values go to the trial that comes first in the plan.
    _, best = min(candidates, key=lambda item: (sign * item[1].metrics[objective.metric], item[0]))
    return best


def _describe(trial: TrialOutcome, metric: str) -> str:
    if trial.status != COMPLETED:
        return f"{trial.trial_name} {trial.status}" + (f" ({trial.failure_reason})" if trial.failure_reason else "")
    if not trial.model_artifact:
        return f"{trial.trial_name} Completed without a model artifact"
    return f"{trial.trial_name} Completed without {metric}"
