"""The AWS quotas a sweep must fit in: the one per-experiment trial limit that every layer checks."""

from __future__ import annotations

# SageMaker Experiments: 300 trials per experiment, not counting the ones SageMaker creates itself
# (aws/amazon-sagemaker-examples PR #3396; aws/sagemaker-python-sdk #3646). It is the ceiling of a
# sweep: one execution plans one trial per variant, all in one experiment, so neither one execution
# nor the experiment it adds to may go past it.
TRIALS_PER_EXPERIMENT = 300


def trials_past_quota(existing: int, new: int) -> str | None:
    """Why `new` more trials would take an experiment that holds `existing` past the quota; None when they fit."""
    if existing + new <= TRIALS_PER_EXPERIMENT:
        return None
    if existing == 0:
        return f"{new} trials, past SageMaker Experiments' quota of {TRIALS_PER_EXPERIMENT} trials per experiment"
    return (
        f"the experiment already has {existing} trials; {new} more would make {existing + new}, past SageMaker "
        f"Experiments' quota of {TRIALS_PER_EXPERIMENT} trials per experiment"
    )
