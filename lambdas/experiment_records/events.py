"""Typed events of the functions (docs/lambda-contracts.md), parsed at the edge with errors naming the field."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


class InvalidEvent(ValueError):
    """The state machine sent an event that breaks docs/lambda-contracts.md; the message names the field."""


def _get(source: Any, key: str, where: str, kind: type | tuple[type, ...] = str, *, optional: bool = False) -> Any:
    if not isinstance(source, dict):
        raise InvalidEvent(f"{where}: must be an object")
    value = source.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (kind is str and not value):
        raise InvalidEvent(f"{where}.{key}: missing or not {getattr(kind, '__name__', kind)}")
    return value


def _none_if_empty(value: Any) -> dict | None:
    """`error`, `training` and `progress` may be absent, null or {}: all three mean "none"."""
    return value if isinstance(value, dict) and value else None


@dataclass(frozen=True)
class TaskError:
    error: str
    cause: str

    @classmethod
    def parse(cls, value: Any) -> TaskError | None:
        value = _none_if_empty(value)
        if value is None:
            return None
        return cls(error=str(value.get("Error") or "Error"), cause=str(value.get("Cause") or ""))

    def reason(self) -> str:
        """The failure reason: a `.sync` task's Cause is usually the Describe*Job JSON."""
        try:
            described = json.loads(self.cause)
        except (TypeError, ValueError):
            described = None
        if isinstance(described, dict) and described.get("FailureReason"):
            return str(described["FailureReason"])
        return f"{self.error}: {self.cause}" if self.cause else self.error


@dataclass(frozen=True)
class TrialPlan:
    trial_name: str
    training_job_name: str
    hyperparameters: dict[str, str]
    variant: dict[str, str]
    output_s3_uri: str

    @classmethod
    def parse(cls, value: Any, where: str = "trial") -> TrialPlan:
        return cls(
            trial_name=_get(value, "trialName", where),
            training_job_name=_get(value, "trainingJobName", where),
            hyperparameters=_get(value, "hyperparameters", where, dict),
            variant=_get(value, "variant", where, dict, optional=True) or {},
            output_s3_uri=_get(value, "outputS3Uri", where, optional=True) or "",
        )


@dataclass(frozen=True)
class RunPlan:
    experiment_name: str
    execution_name: str
    dataset_s3_uri: str
    preprocessing_job_name: str
    preprocessing_component_name: str
    preprocessing_output_s3_uri: str
    trials: tuple[TrialPlan, ...]

    @classmethod
    def parse(cls, value: Any, where: str = "plan") -> RunPlan:
        preprocessing = _get(value, "preprocessing", where, dict)
        return cls(
            experiment_name=_get(value, "experimentName", where),
            execution_name=_get(value, "executionName", where),
            dataset_s3_uri=_get(_get(value, "dataset", where, dict), "s3Uri", f"{where}.dataset"),
            preprocessing_job_name=_get(preprocessing, "jobName", f"{where}.preprocessing"),
            preprocessing_component_name=_get(preprocessing, "trialComponentName", f"{where}.preprocessing"),
            preprocessing_output_s3_uri=_get(preprocessing, "outputS3Uri", f"{where}.preprocessing"),
            trials=tuple(
                TrialPlan.parse(t, f"{where}.trials[{i}]") for i, t in enumerate(_get(value, "trials", where, list))
            ),
        )


@dataclass(frozen=True)
class TrainingResult:
    """The parts of DescribeTrainingJob a `.sync` training task returns."""

    status: str
    final_metrics: dict[str, float]
    model_artifact: str | None
    failure_reason: str | None

    @classmethod
    def parse(cls, value: Any) -> TrainingResult | None:
        value = _none_if_empty(value)
        if value is None:
            return None
        metrics = {}
        for item in value.get("FinalMetricDataList") or []:
            if isinstance(item, dict) and "MetricName" in item and item.get("Value") is not None:
                metrics[str(item["MetricName"])] = float(item["Value"])
        return cls(
            status=str(value.get("TrainingJobStatus") or "Unknown"),
            final_metrics=metrics,
            model_artifact=(value.get("ModelArtifacts") or {}).get("S3ModelArtifacts"),
            failure_reason=value.get("FailureReason"),
        )


@dataclass(frozen=True)
class TrialOutcome:
    """One item of the execution output's `trials` (record_training's output, select_best's input)."""

    trial_name: str
    training_job_name: str
    status: str
    hyperparameters: dict[str, str]
    metrics: dict[str, float] = field(default_factory=dict)
    failure_reason: str | None = None
    model_artifact: str | None = None

    def to_event(self) -> dict:
        return {
            "trialName": self.trial_name,
            "trainingJobName": self.training_job_name,
            "status": self.status,
            "hyperparameters": dict(self.hyperparameters),
            "metrics": dict(self.metrics),
            "failureReason": self.failure_reason,
            "modelArtifact": self.model_artifact,
        }

    @classmethod
    def parse(cls, value: Any, where: str) -> TrialOutcome:
        metrics = _get(value, "metrics", where, dict, optional=True) or {}
        return cls(
            trial_name=_get(value, "trialName", where),
            training_job_name=_get(value, "trainingJobName", where),
            status=_get(value, "status", where),
            hyperparameters=_get(value, "hyperparameters", where, dict, optional=True) or {},
            metrics={str(k): float(v) for k, v in metrics.items() if isinstance(v, (int, float))},
            failure_reason=value.get("failureReason"),
            model_artifact=value.get("modelArtifact"),
        )


@dataclass(frozen=True)
class Objective:
    metric: str
    goal: str

    @classmethod
    def parse(cls, value: Any, where: str = "objective") -> Objective:
        goal = _get(value, "goal", where)
        if goal not in ("Maximize", "Minimize"):
            raise InvalidEvent(f"{where}.goal: {goal!r}; one of Maximize, Minimize")
        return cls(metric=_get(value, "metric", where), goal=goal)


def required_str(value: Any, key: str, where: str = "event") -> str:
    return _get(value, key, where)


def optional_dict(value: Any, key: str) -> dict | None:
    return _none_if_empty(value.get(key)) if isinstance(value, dict) else None
