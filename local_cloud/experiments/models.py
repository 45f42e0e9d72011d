"""The Experiments API's records (experiments, trials, trial components) and the rules on their fields."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from local_cloud.experiments.exceptions import ValidationException

# The entity name rule of every Experiments API (ExperimentName, TrialName, TrialComponentName):
# "Length Constraints: Minimum length of 1. Maximum length of 120.
#  Pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}" (API reference, e.g. DeleteTrial request parameters).
ENTITY_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}"
ENTITY_NAME_MAX_LENGTH = 120
_ENTITY_NAME = re.compile(ENTITY_NAME_PATTERN + r"$")
PRIMARY_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")
# "Tags ... Array Members: Minimum number of 0 items. Maximum number of 50 items."
MAX_TAGS = 50
# UpdateTrialComponent/CreateTrialComponent: "Parameters ... Maximum number of 300 items."
MAX_PARAMETERS = 300
MAX_ARTIFACTS = 60

V = TypeVar("V")


def now() -> datetime:
    return datetime.now(UTC)


def timestamp(value: Any) -> datetime | None:
    """A request timestamp: the JSON protocol sends epoch seconds; in-process callers may pass datetimes."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except ValueError:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    raise ValidationException(f"Invalid timestamp: {value!r}")


class Names(dict[str, V]):
    """Records or associations keyed by entity name, case-insensitively: "The name must be unique in
    your Amazon Web Services account and is not case-sensitive." (CreateTrialComponent). Keys are
    stored lower-cased; a record keeps the name as created."""

    def __getitem__(self, name: str) -> V:
        return super().__getitem__(name.lower())

    def __setitem__(self, name: str, value: V) -> None:
        super().__setitem__(name.lower(), value)

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)

    def pop(self, name: str, *default: Any) -> Any:
        return super().pop(name.lower(), *default)


@dataclass
class Record:
    name: str
    arn: str
    seq: int
    display_name: str
    creation_time: datetime
    last_modified_time: datetime
    created_by: dict = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Experiment(Record):
    description: str | None = None
    source: dict | None = None


@dataclass
class Trial(Record):
    experiment_name: str = ""
    metadata_properties: dict | None = None
    source: dict | None = None


@dataclass
class TrialComponent(Record):
    status: dict | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    parameters: dict[str, dict] = field(default_factory=dict)
    input_artifacts: dict[str, dict] = field(default_factory=dict)
    output_artifacts: dict[str, dict] = field(default_factory=dict)
    metadata_properties: dict | None = None
    source: dict | None = None
    # Every value of each metric, the ones the job's MetricDefinitions matched (replaced whole at each
    # report of the job) and the ones sent with BatchPutMetrics (appended); `metric_summaries` is what
    # DescribeTrialComponent and Search answer from them.
    job_metric_values: dict[str, list[float]] = field(default_factory=dict)
    put_metric_values: dict[str, list[float]] = field(default_factory=dict)
    metric_updated: dict[str, datetime] = field(default_factory=dict)

    def metric_summaries(self) -> list[dict]:
        """One TrialComponentMetricSummary per metric, over every value it has: SageMaker summarises a
        metric across every value logged, by the job or by BatchPutMetrics alike (the SDK's Run.log_metric
        and a job's MetricDefinitions feed the same summary)."""
        names = dict.fromkeys([*self.job_metric_values, *self.put_metric_values])
        source_arn = (self.source or {}).get("SourceArn")
        return [
            drop_none(
                {
                    "MetricName": name,
                    "SourceArn": source_arn if name in self.job_metric_values else None,
                    "TimeStamp": self.metric_updated.get(name),
                    **summary(self.job_metric_values.get(name, []) + self.put_metric_values.get(name, [])),
                }
            )
            for name in names
        ]


# --- the rules on request fields ------------------------------------------------------------------


def _member(key: str) -> str:
    """A request key as the API's validation messages name it ("TrialName" -> "trialName")."""
    return key[0].lower() + key[1:]


def name_of(request: dict, key: str) -> str:
    """A required entity name of the request, checked against the API's name rule."""
    name = optional_name_of(request, key)
    if name is None:
        raise ValidationException(
            f"1 validation error detected: Value null at '{_member(key)}' "
            "failed to satisfy constraint: Member must not be null"
        )
    return name


def optional_name_of(request: dict, key: str) -> str | None:
    """An optional entity name of the request (None when absent), checked like `name_of`."""
    value = request.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > ENTITY_NAME_MAX_LENGTH or not _ENTITY_NAME.match(value):
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{_member(key)}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {ENTITY_NAME_PATTERN} "
            f"and have length less than or equal to {ENTITY_NAME_MAX_LENGTH}"
        )
    return value


def check_tag_count(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise ValidationException(f"Tags: a resource can have at most {MAX_TAGS} tags")
    return tags


def tags_of(request: dict) -> dict[str, str]:
    tags = request.get("Tags") or []
    if len(tags) > MAX_TAGS:
        raise ValidationException(f"Tags: a resource can have at most {MAX_TAGS} tags")
    return {t["Key"]: t.get("Value", "") for t in tags}


def checked_parameters(parameters: dict | None) -> dict[str, dict]:
    parameters = parameters or {}
    if len(parameters) > MAX_PARAMETERS:
        raise ValidationException(f"Parameters: a trial component can have at most {MAX_PARAMETERS} parameters")
    checked = {}
    for key, value in parameters.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 256:
            raise ValidationException(f"Parameters: key {key!r} must be a string of 1 to 256 characters")
        if not isinstance(value, dict) or len(value) != 1 or not ({"StringValue", "NumberValue"} & value.keys()):
            raise ValidationException(f"Parameters.{key}: exactly one of StringValue or NumberValue must be given")
        text = value.get("StringValue")
        if "StringValue" in value and (not isinstance(text, str) or len(text) > 2500):
            raise ValidationException(f"Parameters.{key}.StringValue: a string of at most 2500 characters")
        if "NumberValue" in value:
            if isinstance(value["NumberValue"], bool) or not isinstance(value["NumberValue"], (int, float)):
                raise ValidationException(f"Parameters.{key}.NumberValue: must be a number")
            value = {"NumberValue": float(value["NumberValue"])}
        checked[key] = dict(value)
    return checked


def checked_artifacts(artifacts: dict | None, member: str) -> dict[str, dict]:
    artifacts = artifacts or {}
    if len(artifacts) > MAX_ARTIFACTS:
        raise ValidationException(f"{member}: a trial component can have at most {MAX_ARTIFACTS} artifacts of a kind")
    checked = {}
    for key, value in artifacts.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128:
            raise ValidationException(f"{member}: key {key!r} must be a string of 1 to 128 characters")
        if not isinstance(value, dict) or not isinstance(value.get("Value"), str) or len(value["Value"]) > 2048:
            raise ValidationException(f"{member}.{key}.Value: required, a string of at most 2048 characters")
        media_type = value.get("MediaType")
        if media_type is not None and (not isinstance(media_type, str) or len(media_type) > 64):
            raise ValidationException(f"{member}.{key}.MediaType: a string of at most 64 characters")
        checked[key] = {k: v for k, v in value.items() if k in ("MediaType", "Value")}
    return checked


def checked_status(status: dict | None) -> dict | None:
    if status is None:
        return None
    primary = status.get("PrimaryStatus")
    if primary is not None and primary not in PRIMARY_STATUSES:
        raise ValidationException(
            f"1 validation error detected: Value '{primary}' at 'status.primaryStatus' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(PRIMARY_STATUSES)}]"
        )
    message = status.get("Message")
    if message is not None and len(message) > 1024:
        raise ValidationException("Status.Message: at most 1024 characters")
    return {k: v for k, v in status.items() if k in ("PrimaryStatus", "Message") and v is not None}


def job_status(status: str, failure_reason: str | None = None, exit_message: str | None = None) -> dict:
    """The Status of a component SageMaker made for a job. Its Message is in the form SageMaker writes on
    its processing jobs' components ("Status: Completed, exit message: null, failure reason: null", from
    a DescribeTrialComponent answer quoted in the SageMaker SDK's unit tests); the same form is used
    for training and transform jobs, whose messages were not seen (README, differences)."""
    message = f"Status: {status}, exit message: {exit_message or 'null'}, failure reason: {failure_reason or 'null'}"
    return checked_status({"PrimaryStatus": status, "Message": message[:1024]}) or {}


def drop_none(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def summary(values: list[float]) -> dict[str, float | int]:
    """A TrialComponentMetricSummary of every value a job logged for one metric: "Max, Min, Last,
    Count, Avg, StdDev" (API_TrialComponentMetricSummary). StdDev is the sample standard deviation
    (0 for one value): the reference does not say which, and the SDK's analytics only read it."""
    return {
        "Max": max(values),
        "Min": min(values),
        "Last": values[-1],
        "Count": len(values),
        "Avg": statistics.fmean(values),
        "StdDev": statistics.stdev(values) if len(values) > 1 else 0.0,
    }
