"""The trial component actions: Create, Describe, Update, Delete, List, and SageMaker Metrics' BatchPutMetrics."""

from __future__ import annotations

import copy
import math
import re

from local_cloud.experiments.exceptions import ValidationException
from local_cloud.experiments.models import (
    Names,
    TrialComponent,
    checked_artifacts,
    checked_parameters,
    checked_status,
    drop_none,
    name_of,
    now,
    optional_name_of,
    tags_of,
    timestamp,
)
from local_cloud.experiments.store import RecordStore

# BatchPutMetrics: "TrialComponentName ... The Trial Component name must be entirely lowercase.
# Pattern: ^[a-z0-9](-*[a-z0-9]){0,119}"; "MetricData ... Minimum number of 1 item. Maximum number
# of 10 items." (API_metrics_BatchPutMetrics); RawMetricData: MetricName 1 to 255 characters,
# Timestamp and Value required, Step an integer of at least 0 (API_metrics_RawMetricData).
METRICS_COMPONENT_NAME_PATTERN = r"^[a-z0-9](-*[a-z0-9]){0,119}"
_METRICS_COMPONENT_NAME = re.compile(METRICS_COMPONENT_NAME_PATTERN + r"$")
MAX_METRICS_PER_PUT = 10


class TrialComponentActions(RecordStore):
    # --- trial components --------------------------------------------------------------------------
    def create_trial_component(self, request: dict) -> dict:
        name = name_of(request, "TrialComponentName")
        if name in self.components:
            raise ValidationException(f"Trial Component with name ({name}) already exists.")
        created = now()
        component = TrialComponent(
            name=name,
            arn=self._arn("experiment-trial-component", name),
            seq=self._next_seq(),
            display_name=optional_name_of(request, "DisplayName") or name,
            creation_time=created,
            last_modified_time=created,
            created_by=self._created_by(),
            tags=tags_of(request),
            status=checked_status(request.get("Status")),
            start_time=timestamp(request.get("StartTime")),
            end_time=timestamp(request.get("EndTime")),
            parameters=checked_parameters(request.get("Parameters")),
            input_artifacts=checked_artifacts(request.get("InputArtifacts"), "InputArtifacts"),
            output_artifacts=checked_artifacts(request.get("OutputArtifacts"), "OutputArtifacts"),
            metadata_properties=request.get("MetadataProperties"),
            # Not in the public request: only SageMaker sets Source (see record_training_job).
            source=request.get("Source"),
        )
        self.components[name] = component
        self._trials_of_component[name] = Names()
        return {"TrialComponentArn": component.arn}

    def describe_trial_component(self, request: dict) -> dict:
        c = self._component(name_of(request, "TrialComponentName"))
        return self._component_view(c)

    def _component_view(self, c: TrialComponent) -> dict:
        # The three maps are present even when empty: the SageMaker SDK's ExperimentAnalytics reads
        # them as `trial_component.get("OutputArtifacts", []).items()`, which works on AWS's answers
        # only if AWS sends the map (an absent one would be a list without `items`).
        return drop_none(
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
                "Parameters": copy.deepcopy(c.parameters),
                "InputArtifacts": copy.deepcopy(c.input_artifacts),
                "OutputArtifacts": copy.deepcopy(c.output_artifacts),
                "MetadataProperties": c.metadata_properties,
                "Metrics": c.metric_summaries() or None,
            }
        )

    def update_trial_component(self, request: dict) -> dict:
        c = self._component(name_of(request, "TrialComponentName"))
        # A refused update changes nothing: every change is made to a copy, the copy is checked
        # against the record's limits (e.g. 300 parameters), and only then does it replace the record.
        updated = copy.deepcopy(c)
        if request.get("DisplayName") is not None:
            updated.display_name = name_of(request, "DisplayName")
        if request.get("Status") is not None:
            updated.status = checked_status(request["Status"])
        if request.get("StartTime") is not None:
            updated.start_time = timestamp(request["StartTime"])
        if request.get("EndTime") is not None:
            updated.end_time = timestamp(request["EndTime"])
        for attribute, member in (
            ("parameters", "Parameters"),
            ("input_artifacts", "InputArtifacts"),
            ("output_artifacts", "OutputArtifacts"),
        ):
            current: dict = getattr(updated, attribute)
            for key in request.get(f"{member}ToRemove") or []:
                current.pop(key, None)
            if request.get(member):
                checked = (
                    checked_parameters(request[member])
                    if member == "Parameters"
                    else checked_artifacts(request[member], member)
                )
                current.update(checked)
        checked_parameters(updated.parameters)
        checked_artifacts(updated.input_artifacts, "InputArtifacts")
        checked_artifacts(updated.output_artifacts, "OutputArtifacts")
        vars(c).update(vars(updated))  # commit: the record object stays the one every index holds
        self._touch(c)
        return {"TrialComponentArn": c.arn}

    def delete_trial_component(self, request: dict) -> dict:
        name = name_of(request, "TrialComponentName")
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
        records: list[TrialComponent] = list(self.components.values())
        if request.get("ExperimentName") is not None:
            experiment_name = name_of(request, "ExperimentName")
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
            trial_name = name_of(request, "TrialName")
            self._trial(trial_name)
            held = self._components_of_trial.get(trial_name, {})
            records = [c for c in records if c.name in held]
        elif request.get("SourceArn") is not None:
            records = [c for c in records if (c.source or {}).get("SourceArn") == request["SourceArn"]]
        records, key = self._sorted(self._created_between(records, request), request)
        page, token = self._page(records, request, key)
        return drop_none(
            {
                "TrialComponentSummaries": [
                    drop_none(
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

    # --- SageMaker Metrics ---------------------------------------------------------------------------
    def batch_put_metrics(self, request: dict) -> dict:
        """BatchPutMetrics on any trial component: the values join the metric's summary with those the
        job logged. A request that breaks the request rules is refused whole (400); a metric that breaks
        RawMetricData's is answered in Errors by its index, as the API's response does, and the others
        are stored."""
        name = request.get("TrialComponentName")
        if not isinstance(name, str) or not _METRICS_COMPONENT_NAME.match(name):
            raise ValidationException(
                f"1 validation error detected: Value '{name}' at 'trialComponentName' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {METRICS_COMPONENT_NAME_PATTERN}"
            )
        data = request.get("MetricData")
        if not isinstance(data, list) or not 1 <= len(data) <= MAX_METRICS_PER_PUT:
            raise ValidationException(
                "1 validation error detected: Value at 'metricData' failed to satisfy constraint: "
                f"Member must have length between 1 and {MAX_METRICS_PER_PUT}"
            )
        component = self.components.get(name)
        if component is None:
            # The reference does not say how an unknown component is answered; like moto, as a
            # VALIDATION_ERROR ("The metric data failed validation"), here for each metric sent.
            return {"Errors": [{"Code": "VALIDATION_ERROR", "MetricIndex": i} for i in range(len(data))]}
        errors = []
        for index, metric in enumerate(data):
            valid = _raw_metric(metric)
            if valid is None:
                errors.append({"Code": "VALIDATION_ERROR", "MetricIndex": index})
                continue
            metric_name, value, recorded = valid
            component.put_metric_values.setdefault(metric_name, []).append(value)
            last = component.metric_updated.get(metric_name)
            component.metric_updated[metric_name] = max(last, recorded) if last else recorded
        return {"Errors": errors}


def _raw_metric(metric: object):
    """(name, value, timestamp) of a RawMetricData that follows its rules, else None."""
    if not isinstance(metric, dict):
        return None
    name, value, step = metric.get("MetricName"), metric.get("Value"), metric.get("Step")
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    if step is not None and (isinstance(step, bool) or not isinstance(step, int) or step < 0):
        return None
    try:
        recorded = timestamp(metric.get("Timestamp"))
    except ValidationException:
        return None
    return (name, float(value), recorded) if recorded else None
