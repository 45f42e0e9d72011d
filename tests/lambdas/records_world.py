"""Builds experiment records the way a run leaves them (notebook layout), for the cleanup tests."""

from __future__ import annotations

from collections.abc import Sequence

from local_cloud.experiments import ExperimentsBackend


def build_experiment(backend: ExperimentsBackend, name: str, trials: int, *, preprocessing: str | None = None) -> dict:
    """An experiment of `trials` trials sharing one preprocessing component, plus one training
    component each (as SageMaker records a training job with ExperimentConfig)."""
    backend.call("CreateExperiment", {"ExperimentName": name})
    preprocessing = preprocessing or f"{name}-preprocessing"
    if preprocessing not in backend.components:
        backend.call("CreateTrialComponent", {"TrialComponentName": preprocessing, "DisplayName": "Preprocessing"})
    trial_names, training = [], []
    for i in range(1, trials + 1):
        trial = f"{name}-trial-{i}"
        backend.call("CreateTrial", {"TrialName": trial, "ExperimentName": name})
        backend.call("AssociateTrialComponent", {"TrialComponentName": preprocessing, "TrialName": trial})
        training.append(
            backend.record_training_job(
                training_job_name=f"{name}-train-{i}",
                training_job_arn=f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}-train-{i}",
                experiment_config={"ExperimentName": name, "TrialName": trial, "TrialComponentDisplayName": "Training"},
                status="Completed",
                hyperparameters={"hidden_channels": str(i)},
                final_metrics={"test:accuracy": 90.0 + i},
                model_artifact=f"s3://bucket/models/{name}-train-{i}/output/model.tar.gz",
            )
        )
        trial_names.append(trial)
    return {"trials": trial_names, "preprocessing": preprocessing, "training": training}


def snapshot(backend: ExperimentsBackend) -> dict:
    """Everything the backend holds: names of experiments, trials, components and associations."""
    return {
        "experiments": sorted(e.name for e in backend.experiments.values()),
        "trials": sorted(t.name for t in backend.trials.values()),
        "components": sorted(c.name for c in backend.components.values()),
        "associations": sorted(
            (c, t) for c in (x.name for x in backend.components.values()) for t in backend.trials_holding(c)
        ),
    }


def without(before: dict, experiment: str, world: dict, *, keep: Sequence[str] = ()) -> dict:
    """What `before` should become once `experiment` (built as `world`) is cleaned up: its
    experiment, trials, associations and components gone, except the components in `keep`."""
    trials = set(world["trials"])
    gone_components = {world["preprocessing"], *world["training"]} - set(keep)
    return {
        "experiments": [e for e in before["experiments"] if e != experiment],
        "trials": [t for t in before["trials"] if t not in trials],
        "components": [c for c in before["components"] if c not in gone_components],
        "associations": [(c, t) for c, t in before["associations"] if t not in trials],
    }
