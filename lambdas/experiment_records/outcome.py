"""A trial's training outcome from the `.sync` task's result or its caught error (pure)."""

from __future__ import annotations

from contract.events import COMPLETED, FAILED, TaskError, TrainingResult, TrialOutcome
from contract.run_plan import TrialPlan


def training_outcome(trial: TrialPlan, training: TrainingResult | None, error: TaskError | None) -> TrialOutcome:
    """Completed only when the job completed; anything else is Failed with the best reason known."""
    if training is not None and training.status == COMPLETED:
        return TrialOutcome(
            trial_name=trial.trial_name,
            training_job_name=trial.training_job_name,
            status=COMPLETED,
            hyperparameters=dict(trial.hyperparameters),
            metrics=dict(training.final_metrics),
            model_artifact=training.model_artifact,
        )
    if training is not None and training.failure_reason:
        reason = training.failure_reason
    elif error is not None:
        reason = error.reason()
    elif training is not None:
        reason = f"training job ended {training.status}"
    else:
        reason = "training job gave no result"
    return TrialOutcome(
        trial_name=trial.trial_name,
        training_job_name=trial.training_job_name,
        status=FAILED,
        hyperparameters=dict(trial.hyperparameters),
        metrics=dict(training.final_metrics) if training else {},
        failure_reason=reason,
    )
