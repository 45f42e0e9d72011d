"""The metrics a training job prints, the regexes SageMaker captures them with, and the objective."""

from __future__ import annotations

import re
from dataclasses import dataclass


# --- Metrics -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Metric:
    name: str  # the name SageMaker records (MetricDefinitions Name)
    regex: str  # the MetricDefinitions Regex; group 1 is the value
    line: str  # the format the training job prints; {value} is the figure


METRICS: tuple[Metric, ...] = (
    Metric("train:loss", r"Train Loss: (.*?);", "Train Loss: {value:.6f};"),
    Metric("test:loss", r"Test Average loss: (.*?),", "Test Average loss: {value:.6f},"),
    Metric("test:accuracy", r"Test Accuracy: (.*?)%;", "Test Accuracy: {value:.4f}%;"),
)
METRICS_BY_NAME = {m.name: m for m in METRICS}
OBJECTIVE_GOALS = ("Maximize", "Minimize")
DEFAULT_OBJECTIVE = {"metric": "test:accuracy", "goal": "Maximize"}


def metric_definitions() -> list[dict[str, str]]:
    """MetricDefinitions for CreateTrainingJob."""
    return [{"Name": m.name, "Regex": m.regex} for m in METRICS]


def format_metric(name: str, value: float) -> str:
    return METRICS_BY_NAME[name].line.format(value=value)


def parse_metrics(text: str) -> dict[str, float]:
    """The last value of each metric in a job's output, as SageMaker's FinalMetricDataList."""
    found: dict[str, float] = {}
    for metric in METRICS:
        for match in re.finditer(metric.regex, text):
            try:
                found[metric.name] = float(match.group(1))
            except ValueError:
                continue
    return found
