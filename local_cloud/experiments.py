"""A local SageMaker Experiments API that enforces the real API's rules, with the real error codes.

Pure Python and thread-safe: experiments, trials and trial components with parameters, metrics,
artifacts, status, source and tags; many-to-many associations; NextToken pagination; the List*
filters; Describe/Update/Delete/Associate/Disassociate; a subset of Search. moto (which enforces
none of the deletion rules and lets a component belong to one trial only) is replaced by this
module for those actions; local_cloud/emulator.py plugs it in. Requests and responses are the
API's own JSON shapes (PascalCase dicts), so the plug is a thin pass-through.

One backend per account and region: `backend_for(account_id, region)`. The local cloud's training
job runner records a job started with ExperimentConfig through `record_training_job`, as
SageMaker does (component `<TrainingJobName>-aws-training-job` associated with the trial).
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# The entity name rule of every Experiments API (ExperimentName, TrialName, TrialComponentName):
# "Length Constraints: Minimum length of 1. Maximum length of 120.
#  Pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}" (API reference, e.g. DeleteTrial request parameters).
ENTITY_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}"
ENTITY_NAME_MAX_LENGTH = 120
_ENTITY_NAME = re.compile(ENTITY_NAME_PATTERN + r"$")
# "MaxResults ... The default value is 10. Valid Range: Minimum value of 1. Maximum value of 100."
DEFAULT_MAX_RESULTS = 10
MAX_MAX_RESULTS = 100
PRIMARY_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")
TRAINING_JOB_COMPONENT_SUFFIX = "-aws-training-job"
TRAINING_JOB_SOURCE_TYPE = "SageMakerTrainingJob"


class ExperimentsApiError(Exception):
    """An error the API returns: `code` is the AWS error code, HTTP status 400 like the real API."""

    code = "InternalFailure"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ResourceNotFound(ExperimentsApiError):
    # Every Experiments operation lists: "ResourceNotFound - Resource being access is not found.
    # HTTP Status Code: 400".
    code = "ResourceNotFound"


class ValidationException(ExperimentsApiError):
    code = "ValidationException"


class ThrottlingException(ExperimentsApiError):
    code = "ThrottlingException"


class ResourceLimitExceeded(ExperimentsApiError):
    code = "ResourceLimitExceeded"


def _now() -> datetime:
    return datetime.now(UTC)


def _timestamp(value: Any) -> datetime | None:
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


class _Names(dict):
    """Records or associations keyed by entity name, case-insensitively: "The name must be unique in
    your Amazon Web Services account and is not case-sensitive." (CreateTrialComponent). Keys are
    stored lower-cased; a record keeps the name as created."""

    def __getitem__(self, name: str) -> Any:
        return super().__getitem__(name.lower())

    def __setitem__(self, name: str, value: Any) -> None:
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
class _Record:
    name: str
    arn: str
    seq: int
    display_name: str
    creation_time: datetime
    last_modified_time: datetime
    created_by: dict = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Experiment(_Record):
    description: str | None = None
    source: dict | None = None


@dataclass
class Trial(_Record):
    experiment_name: str = ""
    metadata_properties: dict | None = None
    source: dict | None = None


@dataclass
class TrialComponent(_Record):
    status: dict | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    parameters: dict[str, dict] = field(default_factory=dict)
    input_artifacts: dict[str, dict] = field(default_factory=dict)
    output_artifacts: dict[str, dict] = field(default_factory=dict)
    metadata_properties: dict | None = None
    metrics: list[dict] = field(default_factory=list)
    source: dict | None = None


class ExperimentsBackend:
    """One account+region's experiment records. `call(action, request)` is the API entry point."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self._lock = threading.RLock()
        self._seq = 0
        self.experiments: dict[str, Experiment] = _Names()
        self.trials: dict[str, Trial] = _Names()
        self.components: dict[str, TrialComponent] = _Names()
        # Many-to-many: "A trial component can be associated with multiple trials."
        # (AssociateTrialComponent). Dicts keep association order.
        self._trials_of_component: dict[str, dict[str, None]] = _Names()
        self._components_of_trial: dict[str, dict[str, None]] = _Names()
        self.calls: Counter[str] = Counter()  # every request received, throttled ones included
        self._throttle_fraction = 0.0
        self._throttle_random = random.Random(0)
        self._throttle_actions: frozenset[str] | None = None
        self.throttled: Counter[str] = Counter()

    # --- test knobs -------------------------------------------------------------------------------
    def inject_throttling(self, fraction: float, *, seed: int = 0, actions: Iterable[str] | None = None) -> None:
        """Answer `fraction` of the calls (of `actions`, default all) with ThrottlingException, seeded."""
        if not 0.0 <= fraction < 1.0:
            raise ValueError(f"throttling fraction must be in [0, 1), got {fraction}")
        with self._lock:
            self._throttle_fraction = fraction
            self._throttle_random = random.Random(seed)
            self._throttle_actions = frozenset(actions) if actions is not None else None

    # --- entry point -------------------------------------------------------------------------------
    def call(self, action: str, request: dict | None = None) -> dict:
        """Run one API action (e.g. "CreateExperiment") on a request dict; returns the response dict."""
        handler = self._actions().get(action)
        if handler is None:
            raise ValidationException(f"Unsupported Experiments action {action}")
        with self._lock:
            self.calls[action] += 1
            if self._throttle_fraction and (self._throttle_actions is None or action in self._throttle_actions):
                if self._throttle_random.random() < self._throttle_fraction:
                    self.throttled[action] += 1
                    raise ThrottlingException("Rate exceeded")
            return handler(dict(request or {}))

    def _actions(self) -> dict[str, Callable[[dict], dict]]:
        return {
            "CreateExperiment": self.create_experiment,
            "DescribeExperiment": self.describe_experiment,
            "UpdateExperiment": self.update_experiment,
            "DeleteExperiment": self.delete_experiment,
            "ListExperiments": self.list_experiments,
            "CreateTrial": self.create_trial,
            "DescribeTrial": self.describe_trial,
            "UpdateTrial": self.update_trial,
            "DeleteTrial": self.delete_trial,
            "ListTrials": self.list_trials,
            "CreateTrialComponent": self.create_trial_component,
            "DescribeTrialComponent": self.describe_trial_component,
            "UpdateTrialComponent": self.update_trial_component,
            "DeleteTrialComponent": self.delete_trial_component,
            "ListTrialComponents": self.list_trial_components,
            "AssociateTrialComponent": self.associate_trial_component,
            "DisassociateTrialComponent": self.disassociate_trial_component,
            "AddTags": self.add_tags,
            "ListTags": self.list_tags,
            "DeleteTags": self.delete_tags,
            "Search": self.search,
        }

    # --- helpers ----------------------------------------------------------------------------------
    def _arn(self, kind: str, name: str) -> str:
        # SageMaker lower-cases the name in its ARNs.
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:{kind}/{name.lower()}"

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _created_by(self) -> dict:
        return {"UserProfileArn": f"arn:aws:iam::{self.account_id}:root"}

    @staticmethod
    def _name(request: dict, key: str, *, required: bool = True) -> str | None:
        value = request.get(key)
        if value is None:
            if required:
                raise ValidationException(
                    f"1 validation error detected: Value null at '{key[0].lower() + key[1:]}' "
                    "failed to satisfy constraint: Member must not be null"
                )
            return None
        if not isinstance(value, str) or len(value) > ENTITY_NAME_MAX_LENGTH or not _ENTITY_NAME.match(value):
            member = key[0].lower() + key[1:]
            raise ValidationException(
                f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {ENTITY_NAME_PATTERN} "
                f"and have length less than or equal to {ENTITY_NAME_MAX_LENGTH}"
            )
        return value

    def _experiment(self, name: str) -> Experiment:
        found = self.experiments.get(name)
        if found is None:
            raise ResourceNotFound(f"Experiment '{self._arn('experiment', name)}' does not exist.")
        return found

    def _trial(self, name: str) -> Trial:
        found = self.trials.get(name)
        if found is None:
            raise ResourceNotFound(f"Trial '{self._arn('experiment-trial', name)}' does not exist.")
        return found

    def _component(self, name: str) -> TrialComponent:
        found = self.components.get(name)
        if found is None:
            raise ResourceNotFound(f"TrialComponent '{self._arn('experiment-trial-component', name)}' does not exist.")
        return found

    @staticmethod
    def _tags(request: dict) -> dict[str, str]:
        tags = request.get("Tags") or []
        if len(tags) > 50:
            raise ValidationException("Tags: a resource can have at most 50 tags")
        return {t["Key"]: t.get("Value", "") for t in tags}

    @staticmethod
    def _validate_parameters(parameters: dict | None) -> dict[str, dict]:
        parameters = parameters or {}
        if len(parameters) > 300:
            raise ValidationException("Parameters: a trial component can have at most 300 parameters")
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

    @staticmethod
    def _validate_artifacts(artifacts: dict | None, member: str) -> dict[str, dict]:
        artifacts = artifacts or {}
        if len(artifacts) > 60:
            raise ValidationException(f"{member}: a trial component can have at most 60 artifacts of a kind")
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

    @staticmethod
    def _validate_status(status: dict | None) -> dict | None:
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

    def _touch(self, record: _Record) -> None:
        record.last_modified_time = _now()

    @staticmethod
    def _page(items: list, request: dict, sort_key: Callable[[Any], tuple]) -> tuple[list, str | None]:
        """One page of `items` (already sorted by `sort_key`) after the request's NextToken.

        The token holds the last returned item's sort key, not an offset, so records deleted
        between two pages never make a caller skip one."""
        max_results = request.get("MaxResults")
        if max_results is None:
            max_results = DEFAULT_MAX_RESULTS
        if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= MAX_MAX_RESULTS:
            raise ValidationException(
                f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
                f"constraint: Member must have value between 1 and {MAX_MAX_RESULTS}"
            )
        token = request.get("NextToken")
        descending = request.get("SortOrder", "Descending") == "Descending"
        if token:
            try:
                after = tuple(json.loads(base64.urlsafe_b64decode(token.encode()).decode())["after"])
            except (ValueError, KeyError, TypeError):
                raise ValidationException(f"Invalid NextToken: {token}") from None
            keys = [sort_key(i) for i in items]
            items = [i for i, k in zip(items, keys) if (k < after if descending else k > after)]
        page = items[:max_results]
        if len(items) > max_results:
            last = sort_key(page[-1])
            next_token = base64.urlsafe_b64encode(json.dumps({"after": list(last)}).encode()).decode()
            return page, next_token
        return page, None

    @staticmethod
    def _sorted(records: list[_Record], request: dict) -> tuple[list[_Record], Callable[[_Record], tuple]]:
        sort_by = request.get("SortBy", "CreationTime")
        sort_order = request.get("SortOrder", "Descending")
        if sort_by not in ("Name", "CreationTime"):
            raise ValidationException(f"SortBy must be Name or CreationTime, got {sort_by}")
        if sort_order not in ("Ascending", "Descending"):
            raise ValidationException(f"SortOrder must be Ascending or Descending, got {sort_order}")
        if sort_by == "Name":

            def key(r: _Record) -> tuple:
                return (r.name, r.seq)
        else:

            def key(r: _Record) -> tuple:
                return (r.creation_time.timestamp(), r.seq)

        return sorted(records, key=key, reverse=sort_order == "Descending"), key

    @staticmethod
    def _created_between(records: list[_Record], request: dict) -> list[_Record]:
        after, before = _timestamp(request.get("CreatedAfter")), _timestamp(request.get("CreatedBefore"))
        return [
            r
            for r in records
            if (after is None or r.creation_time > after) and (before is None or r.creation_time < before)
        ]

    # --- experiments ------------------------------------------------------------------------------
    def create_experiment(self, request: dict) -> dict:
        name = self._name(request, "ExperimentName")
        if name in self.experiments:
            # The real API refuses a second create of a name with ValidationException
            # "... with name (...) already exists." (the SageMaker SDK's _load_or_create relies on it).
            raise ValidationException(f"Experiment with name ({name}) already exists.")
        now = _now()
        experiment = Experiment(
            name=name,
            arn=self._arn("experiment", name),
            seq=self._next_seq(),
            display_name=self._name(request, "DisplayName", required=False) or name,
            creation_time=now,
            last_modified_time=now,
            created_by=self._created_by(),
            tags=self._tags(request),
            description=request.get("Description"),
        )
        self.experiments[name] = experiment
        return {"ExperimentArn": experiment.arn}

    def describe_experiment(self, request: dict) -> dict:
        e = self._experiment(self._name(request, "ExperimentName"))
        return _drop_none(
            {
                "ExperimentName": e.name,
                "ExperimentArn": e.arn,
                "DisplayName": e.display_name,
                "Source": e.source,
                "Description": e.description,
                "CreationTime": e.creation_time,
                "CreatedBy": e.created_by,
                "LastModifiedTime": e.last_modified_time,
                "LastModifiedBy": e.created_by,
            }
        )

    def update_experiment(self, request: dict) -> dict:
        e = self._experiment(self._name(request, "ExperimentName"))
        if request.get("DisplayName") is not None:
            e.display_name = self._name(request, "DisplayName")
        if request.get("Description") is not None:
            e.description = request["Description"]
        self._touch(e)
        return {"ExperimentArn": e.arn}

    def delete_experiment(self, request: dict) -> dict:
        name = self._name(request, "ExperimentName")
        e = self._experiment(name)
        # DeleteExperiment: "All trials associated with the experiment must be deleted first.
        # Use the ListTrials API to get a list of the trials associated with the experiment."
        remaining = [t for t in self.trials.values() if t.experiment_name.lower() == name.lower()]
        if remaining:
            raise ValidationException(
                f"Experiment '{e.arn}' has {len(remaining)} trial(s) and cannot be deleted. "
                "All trials associated with the experiment must be deleted first."
            )
        del self.experiments[name]
        return {"ExperimentArn": e.arn}

    def list_experiments(self, request: dict) -> dict:
        records, key = self._sorted(self._created_between(list(self.experiments.values()), request), request)
        page, token = self._page(records, request, key)
        return _drop_none(
            {
                "ExperimentSummaries": [
                    _drop_none(
                        {
                            "ExperimentName": e.name,
                            "ExperimentArn": e.arn,
                            "DisplayName": e.display_name,
                            "ExperimentSource": e.source,
                            "CreationTime": e.creation_time,
                            "LastModifiedTime": e.last_modified_time,
                        }
                    )
                    for e in page
                ],
                "NextToken": token,
            }
        )

    # --- trials -----------------------------------------------------------------------------------
    def create_trial(self, request: dict) -> dict:
        name = self._name(request, "TrialName")
        experiment_name = self._name(request, "ExperimentName")
        if name in self.trials:
            raise ValidationException(f"Trial with name ({name}) already exists.")
        experiment_name = self._experiment(experiment_name).name
        now = _now()
        trial = Trial(
            name=name,
            arn=self._arn("experiment-trial", name),
            seq=self._next_seq(),
            display_name=self._name(request, "DisplayName", required=False) or name,
            creation_time=now,
            last_modified_time=now,
            created_by=self._created_by(),
            tags=self._tags(request),
            experiment_name=experiment_name,
            metadata_properties=request.get("MetadataProperties"),
        )
        self.trials[name] = trial
        self._components_of_trial[name] = _Names()
        return {"TrialArn": trial.arn}

    def describe_trial(self, request: dict) -> dict:
        t = self._trial(self._name(request, "TrialName"))
        return _drop_none(
            {
                "TrialName": t.name,
                "TrialArn": t.arn,
                "DisplayName": t.display_name,
                "ExperimentName": t.experiment_name,
                "Source": t.source,
                "CreationTime": t.creation_time,
                "CreatedBy": t.created_by,
                "LastModifiedTime": t.last_modified_time,
                "LastModifiedBy": t.created_by,
                "MetadataProperties": t.metadata_properties,
            }
        )

    def update_trial(self, request: dict) -> dict:
        t = self._trial(self._name(request, "TrialName"))
        if request.get("DisplayName") is not None:
            t.display_name = self._name(request, "DisplayName")
        self._touch(t)
        return {"TrialArn": t.arn}

    def delete_trial(self, request: dict) -> dict:
        name = self._name(request, "TrialName")
        t = self._trial(name)
        # DeleteTrial: "Deletes the specified trial. All trial components that make up the trial
        # must be deleted first." (Disassociating them is enough: the trial is then empty.)
        held = self._components_of_trial.get(name, {})
        if held:
            raise ValidationException(
                f"Trial '{t.arn}' has {len(held)} trial component(s) associated and cannot be deleted. "
                "All trial components that make up the trial must be deleted or disassociated first."
            )
        del self.trials[name]
        self._components_of_trial.pop(name, None)
        return {"TrialArn": t.arn}

    def list_trials(self, request: dict) -> dict:
        records: list[_Record] = list(self.trials.values())
        experiment_name = self._name(request, "ExperimentName", required=False)
        if experiment_name is not None:
            self._experiment(experiment_name)
            records = [t for t in records if t.experiment_name.lower() == experiment_name.lower()]
        component_name = self._name(request, "TrialComponentName", required=False)
        if component_name is not None:
            # ListTrials: "Specify a trial component name to limit the list to the trials that
            # associated with that trial component."
            self._component(component_name)
            holders = self._trials_of_component.get(component_name, {})
            records = [t for t in records if t.name in holders]
        records, key = self._sorted(self._created_between(records, request), request)
        page, token = self._page(records, request, key)
        return _drop_none(
            {
                "TrialSummaries": [
                    _drop_none(
                        {
                            "TrialName": t.name,
                            "TrialArn": t.arn,
                            "DisplayName": t.display_name,
                            "TrialSource": t.source,
                            "CreationTime": t.creation_time,
                            "LastModifiedTime": t.last_modified_time,
                        }
                    )
                    for t in page
                ],
                "NextToken": token,
            }
        )

    # --- trial components --------------------------------------------------------------------------
    def create_trial_component(self, request: dict) -> dict:
        name = self._name(request, "TrialComponentName")
        if name in self.components:
            raise ValidationException(f"Trial Component with name ({name}) already exists.")
        now = _now()
        component = TrialComponent(
            name=name,
            arn=self._arn("experiment-trial-component", name),
            seq=self._next_seq(),
            display_name=self._name(request, "DisplayName", required=False) or name,
            creation_time=now,
            last_modified_time=now,
            created_by=self._created_by(),
            tags=self._tags(request),
            status=self._validate_status(request.get("Status")),
            start_time=_timestamp(request.get("StartTime")),
            end_time=_timestamp(request.get("EndTime")),
            parameters=self._validate_parameters(request.get("Parameters")),
            input_artifacts=self._validate_artifacts(request.get("InputArtifacts"), "InputArtifacts"),
            output_artifacts=self._validate_artifacts(request.get("OutputArtifacts"), "OutputArtifacts"),
            metadata_properties=request.get("MetadataProperties"),
            # Not in the public request: only SageMaker sets Source and Metrics (see record_training_job).
            source=request.get("Source"),
            metrics=copy.deepcopy(request.get("Metrics") or []),
        )
        self.components[name] = component
        self._trials_of_component[name] = _Names()
        return {"TrialComponentArn": component.arn}

    def describe_trial_component(self, request: dict) -> dict:
        c = self._component(self._name(request, "TrialComponentName"))
        return self._component_view(c)

    def _component_view(self, c: TrialComponent) -> dict:
        return _drop_none(
            {
                "TrialComponentName": c.name,
                "TrialComponentArn": c.arn,
                "DisplayName": c.display_name,
                "Source": c.source,
                "Status": c.status,
                "StartTime": c.start_time,
                "EndTime": c.end_time,
                "CreationTime": c.creation_time,
                "CreatedBy": c.created_by,
                "LastModifiedTime": c.last_modified_time,
                "LastModifiedBy": c.created_by,
                "Parameters": copy.deepcopy(c.parameters) or None,
                "InputArtifacts": copy.deepcopy(c.input_artifacts) or None,
                "OutputArtifacts": copy.deepcopy(c.output_artifacts) or None,
                "MetadataProperties": c.metadata_properties,
                "Metrics": copy.deepcopy(c.metrics) or None,
            }
        )

    def update_trial_component(self, request: dict) -> dict:
        c = self._component(self._name(request, "TrialComponentName"))
        if request.get("DisplayName") is not None:
            c.display_name = self._name(request, "DisplayName")
        if request.get("Status") is not None:
            c.status = self._validate_status(request["Status"])
        if request.get("StartTime") is not None:
            c.start_time = _timestamp(request["StartTime"])
        if request.get("EndTime") is not None:
            c.end_time = _timestamp(request["EndTime"])
        for attribute, member in (
            ("parameters", "Parameters"),
            ("input_artifacts", "InputArtifacts"),
            ("output_artifacts", "OutputArtifacts"),
        ):
            current: dict = getattr(c, attribute)
            for key in request.get(f"{member}ToRemove") or []:
                current.pop(key, None)
            if request.get(member):
                checked = (
                    self._validate_parameters(request[member])
                    if member == "Parameters"
                    else self._validate_artifacts(request[member], member)
                )
                current.update(checked)
        self._validate_parameters(c.parameters)
        self._validate_artifacts(c.input_artifacts, "InputArtifacts")
        self._validate_artifacts(c.output_artifacts, "OutputArtifacts")
        self._touch(c)
        return {"TrialComponentArn": c.arn}

    def delete_trial_component(self, request: dict) -> dict:
        name = self._name(request, "TrialComponentName")
        c = self._component(name)
        # DeleteTrialComponent: "A trial component must be disassociated from all trials before
        # the trial component can be deleted." The real message, as seen in the SageMaker SDK's
        # integration tests: "TrialComponent '<arn>' is linked to 1 or more trials and cannot be deleted."
        if self._trials_of_component.get(name):
            raise ValidationException(f"TrialComponent '{c.arn}' is linked to 1 or more trials and cannot be deleted.")
        del self.components[name]
        self._trials_of_component.pop(name, None)
        return {"TrialComponentArn": c.arn}

    def list_trial_components(self, request: dict) -> dict:
        filters = [k for k in ("ExperimentName", "TrialName", "SourceArn") if request.get(k) is not None]
        # ListTrialComponents: "If you specify ExperimentName, you can't filter by SourceArn or
        # TrialName." (and likewise for TrialName and SourceArn).
        if len(filters) > 1:
            raise ValidationException(
                f"Only one of ExperimentName, TrialName or SourceArn can be given; got {', '.join(filters)}"
            )
        records: list[_Record] = list(self.components.values())
        if request.get("ExperimentName") is not None:
            experiment_name = self._name(request, "ExperimentName")
            self._experiment(experiment_name)
            # "A filter that returns only components that are part of the specified experiment."
            in_experiment = {
                c
                for trial, held in self._components_of_trial.items()
                if self.trials[trial].experiment_name.lower() == experiment_name.lower()
                for c in held
            }
            records = [c for c in records if c.name.lower() in in_experiment]
        elif request.get("TrialName") is not None:
            trial_name = self._name(request, "TrialName")
            self._trial(trial_name)
            held = self._components_of_trial.get(trial_name, {})
            records = [c for c in records if c.name in held]
        elif request.get("SourceArn") is not None:
            records = [c for c in records if (c.source or {}).get("SourceArn") == request["SourceArn"]]
        records, key = self._sorted(self._created_between(records, request), request)
        page, token = self._page(records, request, key)
        return _drop_none(
            {
                "TrialComponentSummaries": [
                    _drop_none(
                        {
                            "TrialComponentName": c.name,
                            "TrialComponentArn": c.arn,
                            "DisplayName": c.display_name,
                            "TrialComponentSource": c.source,
                            "Status": c.status,
                            "StartTime": c.start_time,
                            "EndTime": c.end_time,
                            "CreationTime": c.creation_time,
                            "CreatedBy": c.created_by,
                            "LastModifiedTime": c.last_modified_time,
                            "LastModifiedBy": c.created_by,
                        }
                    )
                    for c in page
                ],
                "NextToken": token,
            }
        )

    # --- associations ------------------------------------------------------------------------------
    def associate_trial_component(self, request: dict) -> dict:
        component_name = self._name(request, "TrialComponentName")
        trial_name = self._name(request, "TrialName")
        c = self._component(component_name)
        t = self._trial(trial_name)
        # AssociateTrialComponent: "Associates a trial component with a trial. A trial component
        # can be associated with multiple trials." Associating an associated pair again is a no-op.
        self._trials_of_component[component_name][trial_name] = None
        self._components_of_trial[trial_name][component_name] = None
        return {"TrialComponentArn": c.arn, "TrialArn": t.arn}

    def disassociate_trial_component(self, request: dict) -> dict:
        component_name = self._name(request, "TrialComponentName")
        trial_name = self._name(request, "TrialName")
        c = self._component(component_name)
        t = self._trial(trial_name)
        # DisassociateTrialComponent: "Disassociates a trial component from a trial. This doesn't
        # effect other trials the component is associated with."
        if trial_name not in self._trials_of_component[component_name]:
            raise ResourceNotFound(f"TrialComponent '{c.arn}' is not associated with Trial '{t.arn}'.")
        del self._trials_of_component[component_name][trial_name]
        del self._components_of_trial[trial_name][component_name]
        return {"TrialComponentArn": c.arn, "TrialArn": t.arn}

    def trials_holding(self, component_name: str) -> list[str]:
        """Names of the trials a component is associated with (for tests and the local cloud)."""
        with self._lock:
            return [self.trials[t].name for t in self._trials_of_component.get(component_name, {})]

    def components_of(self, trial_name: str) -> list[str]:
        with self._lock:
            return [self.components[c].name for c in self._components_of_trial.get(trial_name, {})]

    # --- tags ------------------------------------------------------------------------------------------
    def owns_arn(self, arn: str) -> bool:
        """Whether an ARN names an experiment record (tags on any other resource stay with moto)."""
        prefix = f"arn:aws:sagemaker:{self.region}:{self.account_id}:"
        return arn.startswith(prefix) and arn[len(prefix) :].split("/", 1)[0] in (
            "experiment",
            "experiment-trial",
            "experiment-trial-component",
        )

    def _record_by_arn(self, arn: str) -> _Record:
        for collection in (self.experiments, self.trials, self.components):
            for record in collection.values():
                if record.arn == arn:
                    return record
        raise ResourceNotFound(f"Resource '{arn}' does not exist.")

    def add_tags(self, request: dict) -> dict:
        record = self._record_by_arn(request.get("ResourceArn", ""))
        record.tags.update(self._tags(request))
        if len(record.tags) > 50:
            raise ValidationException("Tags: a resource can have at most 50 tags")
        return {"Tags": [{"Key": k, "Value": v} for k, v in record.tags.items()]}

    def list_tags(self, request: dict) -> dict:
        record = self._record_by_arn(request.get("ResourceArn", ""))
        tags = [{"Key": k, "Value": v} for k, v in record.tags.items()]
        return {"Tags": tags}

    def delete_tags(self, request: dict) -> dict:
        record = self._record_by_arn(request.get("ResourceArn", ""))
        for key in request.get("TagKeys") or []:
            record.tags.pop(key, None)
        return {}

    # --- search (the subset the notebook's analytics and lineage use) ------------------------------
    def search(self, request: dict) -> dict:
        resource = request.get("Resource")
        views: list[tuple[dict, dict]] = []  # (searchable flat view, result item)
        if resource == "ExperimentTrialComponent":
            for c in sorted(self.components.values(), key=lambda r: r.seq):
                item = self._component_view(c)
                item["Parents"] = [
                    {"TrialName": self.trials[t].name, "ExperimentName": self.trials[t].experiment_name}
                    for t in self._trials_of_component.get(c.name, {})
                ]
                item["Tags"] = [{"Key": k, "Value": v} for k, v in c.tags.items()]
                views.append((item, {"TrialComponent": item}))
        elif resource == "ExperimentTrial":
            for t in sorted(self.trials.values(), key=lambda r: r.seq):
                item = self.describe_trial({"TrialName": t.name})
                item["TrialComponentSummaries"] = [
                    {"TrialComponentName": self.components[c].name, "TrialComponentArn": self.components[c].arn}
                    for c in self._components_of_trial.get(t.name, {})
                ]
                item["Tags"] = [{"Key": k, "Value": v} for k, v in t.tags.items()]
                views.append((item, {"Trial": item}))
        elif resource == "Experiment":
            for e in sorted(self.experiments.values(), key=lambda r: r.seq):
                item = self.describe_experiment({"ExperimentName": e.name})
                item["Tags"] = [{"Key": k, "Value": v} for k, v in e.tags.items()]
                views.append((item, {"Experiment": item}))
        else:
            raise ValidationException(f"Search of Resource {resource} is not supported by the local API")
        expression = request.get("SearchExpression") or {}
        matched = [result for view, result in views if _matches(view, expression)]
        return self._search_page(matched, request)

    def _search_page(self, results: list[dict], request: dict) -> dict:
        max_results = request.get("MaxResults") or 10
        start = int(request.get("NextToken") or 0)
        page = results[start : start + max_results]
        response: dict = {"Results": page}
        if start + max_results < len(results):
            response["NextToken"] = str(start + max_results)
        return response

    # --- what SageMaker itself records ------------------------------------------------------------------
    def record_training_job(
        self,
        *,
        training_job_name: str,
        training_job_arn: str,
        experiment_config: dict,
        status: str,
        hyperparameters: dict[str, str] | None = None,
        input_artifacts: dict[str, str] | None = None,
        model_artifact: str | None = None,
        final_metrics: dict[str, float] | None = None,
        failure_reason: str | None = None,
        start_time: datetime | float | str | None = None,
        end_time: datetime | float | str | None = None,
    ) -> str:
        """Record a training job started with ExperimentConfig the way SageMaker does; returns the name.

        Creates (or updates, when the job's status changes) component
        `<TrainingJobName>-aws-training-job` with Source = the job, the hyperparameters as
        parameters, the channels as input artifacts, `SageMaker.ModelArtifact` as output artifact,
        the final metrics, and associates it with ExperimentConfig.TrialName. Never throttled."""
        name = training_job_name + TRAINING_JOB_COMPONENT_SUFFIX
        start_time, end_time = _timestamp(start_time), _timestamp(end_time)
        metrics = [
            {
                "MetricName": metric,
                "SourceArn": training_job_arn,
                "TimeStamp": end_time or _now(),
                "Max": value,
                "Min": value,
                "Last": value,
                "Count": 1,
                "Avg": value,
                "StdDev": 0.0,
            }
            for metric, value in (final_metrics or {}).items()
        ]
        status_view = {"PrimaryStatus": status, **({"Message": failure_reason} if failure_reason else {})}
        with self._lock:
            if name not in self.components:
                self.create_trial_component(
                    {
                        "TrialComponentName": name,
                        "DisplayName": experiment_config.get("TrialComponentDisplayName") or name,
                        "Source": {"SourceArn": training_job_arn, "SourceType": TRAINING_JOB_SOURCE_TYPE},
                        "StartTime": start_time or _now(),
                    }
                )
            component = self.components[name]
            component.status = self._validate_status(status_view)
            component.parameters.update({k: {"StringValue": str(v)} for k, v in (hyperparameters or {}).items()})
            component.input_artifacts.update({k: {"Value": v} for k, v in (input_artifacts or {}).items()})
            if model_artifact:
                component.output_artifacts["SageMaker.ModelArtifact"] = {"Value": model_artifact}
            if metrics:
                component.metrics = metrics
            if status in ("Completed", "Failed", "Stopped"):
                component.end_time = end_time or _now()
            self._touch(component)
            trial_name = experiment_config.get("TrialName")
            if trial_name:
                self.associate_trial_component({"TrialComponentName": name, "TrialName": trial_name})
        return name


def _drop_none(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def _lookup(view: dict, name: str) -> list[Any]:
    """Values of a Search property: a top-level field, Parents.<field>, Parameters.<name>,
    Metrics.<metric>.<statistic>, Input/OutputArtifacts.<name>[.Value] or Tags.<key>."""
    head, _, rest = name.partition(".")
    if not rest:
        value = view.get(head)
        return [] if value is None else [value]
    if head == "Parents":
        return [p[rest] for p in view.get("Parents", []) if rest in p]
    if head == "Tags":
        return [t["Value"] for t in view.get("Tags", []) if t["Key"] == rest]
    if head == "Parameters":
        value = (view.get("Parameters") or {}).get(rest)
        return [] if value is None else [value.get("StringValue", value.get("NumberValue"))]
    if head == "Metrics":
        metric, _, statistic = rest.rpartition(".")
        return [m[statistic] for m in view.get("Metrics") or [] if m["MetricName"] == metric and statistic in m]
    if head in ("InputArtifacts", "OutputArtifacts"):
        artifact = rest.removesuffix(".Value")
        value = (view.get(head) or {}).get(artifact)
        return [] if value is None else [value["Value"]]
    value = view.get(head)
    return [value[rest]] if isinstance(value, dict) and rest in value else []


def _matches(view: dict, expression: dict) -> bool:
    checks = [_filter_matches(view, f) for f in expression.get("Filters") or []]
    checks += [_matches(view, sub) for sub in expression.get("SubExpressions") or []]
    if not checks:
        return True
    return any(checks) if expression.get("Operator") == "Or" else all(checks)


def _filter_matches(view: dict, search_filter: dict) -> bool:
    name, expected = search_filter["Name"], search_filter.get("Value")
    operator = search_filter.get("Operator", "Equals")
    values = _lookup(view, name)
    if operator == "Exists":
        return bool(values)
    if operator == "NotExists":
        return not values
    for value in values:
        if isinstance(value, datetime):
            value = value.timestamp()
        if _compare(value, operator, expected):
            return True
    return False


def _compare(value: Any, operator: str, expected: Any) -> bool:
    if operator in ("Equals", "NotEquals"):
        number = _as_float(value)
        equal = str(value) == str(expected) or (number is not None and number == _as_float(expected))
        return equal if operator == "Equals" else not equal
    if operator == "Contains":
        return str(expected) in str(value)
    a, b = _as_float(value), _as_float(expected)
    if a is None or b is None:
        return False
    return {"GreaterThan": a > b, "GreaterThanOrEqualTo": a >= b, "LessThan": a < b, "LessThanOrEqualTo": a <= b}.get(
        operator, False
    )


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --- one backend per account and region ---------------------------------------------------------------
_backends: dict[tuple[str, str], ExperimentsBackend] = {}
_backends_lock = threading.Lock()


def backend_for(account_id: str, region: str) -> ExperimentsBackend:
    """The experiments backend of an account and region (created on first use)."""
    with _backends_lock:
        backend = _backends.get((account_id, region))
        if backend is None:
            backend = _backends[(account_id, region)] = ExperimentsBackend(account_id, region)
        return backend


def reset_backends() -> None:
    """Forget every record (moto's reset calls this, so each `mock_aws()` starts empty)."""
    with _backends_lock:
        _backends.clear()
