"""Naming rules of SageMaker records and jobs, and the names this project derives from a run."""

from __future__ import annotations

import hashlib
import re

from contract.records import PROCESSING_COMPONENT_SUFFIX, TRAINING_COMPONENT_SUFFIX, TRANSFORM_COMPONENT_SUFFIX

# Experiments entities (experiment, trial, trial component, display names): API reference
# "Length Constraints: Minimum length of 1. Maximum length of 120. Pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}".
ENTITY_NAME_MAX_LENGTH = 120
ENTITY_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}$")
# Processing, training and transform jobs and models: "Maximum length of 63.
# Pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}".
JOB_NAME_MAX_LENGTH = 63
JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")

RUN_ID_LENGTH = 8  # hex digits of the run id: 32 bits, unique enough per experiment


def run_id(experiment_name: str, execution_name: str) -> str:
    """A short id of one execution of one experiment: execution names may hold "_" and be 80
    characters long, which SageMaker names refuse, so derived names carry this hash instead."""
    digest = hashlib.sha256(f"{experiment_name}\n{execution_name}".encode()).hexdigest()
    return digest[:RUN_ID_LENGTH]


def derived_name(experiment_name: str, suffix: str, *, max_length: int) -> str:
    """`<experiment prefix>-<suffix>` within `max_length`: the experiment name is cut, never the suffix."""
    room = max_length - len(suffix) - 1
    prefix = experiment_name[:room].rstrip("-")
    return f"{prefix}-{suffix}" if prefix else suffix


def preprocessing_job_name(experiment_name: str, run: str) -> str:
    return derived_name(experiment_name, f"{run}-preprocess", max_length=JOB_NAME_MAX_LENGTH)


def preprocessing_component_name(processing_job: str) -> str:
    """The component SageMaker records for a processing job started with ExperimentConfig (63 + 19 <= 120)."""
    return processing_job + PROCESSING_COMPONENT_SUFFIX


def trial_name(experiment_name: str, run: str, index: int) -> str:
    return derived_name(experiment_name, f"{run}-trial-{index}", max_length=ENTITY_NAME_MAX_LENGTH)


def training_job_name(experiment_name: str, run: str, index: int) -> str:
    # The SageMaker-made component appends TRAINING_COMPONENT_SUFFIX: 63 + 17 <= 120.
    return derived_name(experiment_name, f"{run}-train-{index}", max_length=JOB_NAME_MAX_LENGTH)


def model_name(experiment_name: str, run: str) -> str:
    return derived_name(experiment_name, f"{run}-model", max_length=JOB_NAME_MAX_LENGTH)


def transform_job_name(experiment_name: str, run: str) -> str:
    return derived_name(experiment_name, f"{run}-transform", max_length=JOB_NAME_MAX_LENGTH)


def training_component_name(training_job: str) -> str:
    """The component SageMaker records for a training job started with ExperimentConfig."""
    return training_job + TRAINING_COMPONENT_SUFFIX


def transform_component_name(transform_job: str) -> str:
    """The component SageMaker records for a transform job started with ExperimentConfig (63 + 18 <= 120)."""
    return transform_job + TRANSFORM_COMPONENT_SUFFIX
