"""`ExperimentsBackend`: one account and region's Experiments API, `call(action, request)` its dispatch.

Pure Python and thread-safe: experiments, trials and trial components with parameters, metrics,
artifacts, status, source and tags; many-to-many associations; NextToken pagination; the List*
filters; Describe/Update/Delete/Associate/Disassociate; a subset of Search. moto (which enforces
none of the deletion rules and lets a component belong to one trial only) is replaced by this
backend for those actions (local_cloud/experiments/responses.py, registered by local_cloud/plug.py).
Requests and responses are the API's own JSON shapes (PascalCase dicts). The local cloud's training
job runner records a job started with ExperimentConfig through `record_training_job`, as SageMaker
does (component `<TrainingJobName>-aws-training-job` associated with the trial).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import datetime

import contract
from local_cloud.experiments.component_actions import TrialComponentActions
from local_cloud.experiments.exceptions import ResourceNotFound, ThrottlingException, ValidationException
from local_cloud.experiments.experiment_actions import ExperimentAndTrialActions
from local_cloud.experiments.models import (
    Record,
    check_tag_count,
    drop_none,
    job_status,
    name_of,
    now,
    tags_of,
    timestamp,
)
from local_cloud.experiments.pagination import paginate
from local_cloud.experiments.search import matches, sort_key

TRAINING_JOB_COMPONENT_SUFFIX = "-aws-training-job"
TRAINING_JOB_SOURCE_TYPE = "SageMakerTrainingJob"
# The ARN resource types of experiment records (tags on any other SageMaker resource stay with moto).
RECORD_ARN_TYPES = ("experiment", "experiment-trial", "experiment-trial-component")


class ExperimentsBackend(ExperimentAndTrialActions, TrialComponentActions):
    """One account+region's experiment records. `call(action, request)` is the API entry point."""

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
            throttled_action = self._throttle_actions is None or action in self._throttle_actions
            if (
                self._throttle_fraction
                and throttled_action
                and self._throttle_random.random() < self._throttle_fraction
            ):
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
            "BatchPutMetrics": self.batch_put_metrics,  # the sagemaker-metrics service (metrics_responses.py)
        }

    # --- associations ------------------------------------------------------------------------------
    def associate_trial_component(self, request: dict) -> dict:
        component_name = name_of(request, "TrialComponentName")
        trial_name = name_of(request, "TrialName")
        c = self._component(component_name)
        t = self._trial(trial_name)
        # AssociateTrialComponent: "Associates a trial component with a trial. A trial component
        # can be associated with multiple trials." Associating an associated pair again is a no-op.
        self._trials_of_component[component_name][trial_name] = None
        self._components_of_trial[trial_name][component_name] = None
        return {"TrialComponentArn": c.arn, "TrialArn": t.arn}

    def disassociate_trial_component(self, request: dict) -> dict:
        component_name = name_of(request, "TrialComponentName")
        trial_name = name_of(request, "TrialName")
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
        return arn.startswith(prefix) and arn[len(prefix) :].split("/", 1)[0] in RECORD_ARN_TYPES

    def _record_by_arn(self, arn: str) -> Record:
        for collection in (self.experiments, self.trials, self.components):
            for record in collection.values():
                if record.arn == arn:
                    return record
        raise ResourceNotFound(f"Resource '{arn}' does not exist.")

    def add_tags(self, request: dict) -> dict:
        record = self._record_by_arn(request.get("ResourceArn", ""))
        # As for UpdateTrialComponent, a refused AddTags leaves the record's tags as they were.
        record.tags = check_tag_count({**record.tags, **tags_of(request)})
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
        views: list[tuple[int, dict, dict]] = []  # (creation order, searchable flat view, result item)
        if resource == "ExperimentTrialComponent":
            for c in self.components.values():
                item = self._component_view(c)
                item["Parents"] = [
                    {"TrialName": self.trials[t].name, "ExperimentName": self.trials[t].experiment_name}
                    for t in self._trials_of_component.get(c.name, {})
                ]
                item["Tags"] = [{"Key": k, "Value": v} for k, v in c.tags.items()]
                views.append((c.seq, item, {"TrialComponent": item}))
        elif resource == "ExperimentTrial":
            for t in self.trials.values():
                item = self.describe_trial({"TrialName": t.name})
                item["TrialComponentSummaries"] = [
                    {"TrialComponentName": self.components[c].name, "TrialComponentArn": self.components[c].arn}
                    for c in self._components_of_trial.get(t.name, {})
                ]
                item["Tags"] = [{"Key": k, "Value": v} for k, v in t.tags.items()]
                views.append((t.seq, item, {"Trial": item}))
        elif resource == "Experiment":
            for e in self.experiments.values():
                item = self.describe_experiment({"ExperimentName": e.name})
                item["Tags"] = [{"Key": k, "Value": v} for k, v in e.tags.items()]
                views.append((e.seq, item, {"Experiment": item}))
        else:
            raise ValidationException(f"Search of Resource {resource} is not supported by the local API")
        expression = request.get("SearchExpression") or {}
        # "SortBy: The name of the resource property used to sort the SearchResults"; "SortOrder: ...
        # Ascending or Descending. The default is Descending." (API_Search). Without SortBy the results
        # come in creation order (AWS: by LastModifiedTime; README, differences).
        sort_by, order = request.get("SortBy"), request.get("SortOrder") or "Descending"
        if order not in ("Ascending", "Descending"):
            raise ValidationException(
                f"1 validation error detected: Value '{order}' at 'sortOrder' failed to satisfy constraint: "
                "Member must satisfy enum value set: [Ascending, Descending]"
            )
        descending = bool(sort_by) and order == "Descending"
        matched = sorted(
            (
                (sort_key(view, seq, sort_by, descending=descending), result)
                for seq, view, result in views
                if matches(view, expression)
            ),
            key=lambda found: found[0],
            reverse=descending,
        )
        # The same NextToken pages as List* (a bad token is a ValidationException).
        page, token = paginate(matched, request, lambda found: found[0], descending=descending)
        return drop_none({"Results": [result for _, result in page], "NextToken": token})

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
        metric_series: dict[str, list[float]] | None = None,
        job_parameters: dict[str, dict] | None = None,
        failure_reason: str | None = None,
        start_time: datetime | float | str | None = None,
        end_time: datetime | float | str | None = None,
    ) -> str:
        """Record a training job started with ExperimentConfig the way SageMaker does; returns the name.

        Creates (or updates, when the job's status changes) component
        `<TrainingJobName>-aws-training-job` with Source = the job, the hyperparameters as
        parameters, the channels as input artifacts, `SageMaker.ModelArtifact` as output artifact,
        the job's `SageMaker.*` parameters (`job_parameters`), and a summary of every value of each metric
        the job logged (`metric_series`; a metric known only by its final value is summarised from
        it), and associates it with ExperimentConfig.TrialName. Never throttled."""
        name = training_job_name + TRAINING_JOB_COMPONENT_SUFFIX
        start_time, end_time = timestamp(start_time), timestamp(end_time)
        series = {metric: [value] for metric, value in (final_metrics or {}).items()}
        series.update({metric: list(values) for metric, values in (metric_series or {}).items() if values})
        with self._lock:
            if name not in self.components:
                self.create_trial_component(
                    {
                        "TrialComponentName": name,
                        "DisplayName": experiment_config.get("TrialComponentDisplayName") or name,
                        "Source": {"SourceArn": training_job_arn, "SourceType": TRAINING_JOB_SOURCE_TYPE},
                        "StartTime": start_time or now(),
                    }
                )
            component = self.components[name]
            component.status = job_status(status, failure_reason)
            component.parameters.update({k: contract.job_hyperparameter(v) for k, v in (hyperparameters or {}).items()})
            component.parameters.update(job_parameters or {})
            component.input_artifacts.update({k: {"Value": v} for k, v in (input_artifacts or {}).items()})
            if model_artifact:
                component.output_artifacts["SageMaker.ModelArtifact"] = {"Value": model_artifact}
            component.job_metric_values.update(series)
            component.metric_updated.update(dict.fromkeys(series, end_time or now()))
            if status in ("Completed", "Failed", "Stopped"):
                component.end_time = end_time or now()
            self._touch(component)
            trial_name = experiment_config.get("TrialName")
            if trial_name:
                self.associate_trial_component({"TrialComponentName": name, "TrialName": trial_name})
        return name

    def record_job_component(
        self,
        *,
        name: str,
        source_arn: str,
        source_type: str,
        experiment_config: dict,
        status: str,
        parameters: dict[str, dict],
        input_artifacts: dict[str, dict],
        output_artifacts: dict[str, dict],
        failure_reason: str | None = None,
        exit_message: str | None = None,
        start_time: datetime | float | str | None = None,
        end_time: datetime | float | str | None = None,
    ) -> str:
        """Record a processing or transform job started with ExperimentConfig as SageMaker does.

        Creates (or updates as the job's status changes) component `name` with Source = the job and
        the parameters and artifacts given (the API's shapes), and associates it with
        ExperimentConfig.TrialName. Never throttled."""
        with self._lock:
            if name not in self.components:
                self.create_trial_component(
                    {
                        "TrialComponentName": name,
                        "DisplayName": experiment_config.get("TrialComponentDisplayName") or name,
                        "Source": {"SourceArn": source_arn, "SourceType": source_type},
                        "StartTime": timestamp(start_time) or now(),
                    }
                )
            component = self.components[name]
            component.status = job_status(status, failure_reason, exit_message)
            component.parameters.update(parameters)
            component.input_artifacts.update(input_artifacts)
            component.output_artifacts.update(output_artifacts)
            if status in ("Completed", "Failed", "Stopped"):
                component.end_time = timestamp(end_time) or now()
            self._touch(component)
            trial_name = experiment_config.get("TrialName")
            if trial_name:
                self.associate_trial_component({"TrialComponentName": name, "TrialName": trial_name})
        return name
