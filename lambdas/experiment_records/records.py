"""Idempotent access to SageMaker Experiments records: create-if-absent, gone-counts-as-done, paginated reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from contract import errors

PAGE_SIZE = 100  # the API's largest MaxResults
NOT_FOUND = "ResourceNotFound"
# The API refuses a second create of a name with ValidationException "... already exists."
ALREADY_EXISTS = "already exists"
THROTTLING_CODES = errors.THROTTLING_CODES


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def error_message(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Message", "")


def is_not_found(error: ClientError) -> bool:
    return error_code(error) == NOT_FOUND


def is_already_exists(error: ClientError) -> bool:
    return error_code(error) == "ValidationException" and ALREADY_EXISTS in error_message(error)


def is_throttling(error: ClientError) -> bool:
    return error_code(error) in THROTTLING_CODES


def parameters_of(values: dict[str, Any]) -> dict[str, dict]:
    """API Parameters: numbers as NumberValue, everything else as StringValue (a job's hyperparameters,
    text, are typed by `contract.job_hyperparameter` instead)."""
    parameters: dict[str, dict] = {}
    for name, value in values.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parameters[name] = {"NumberValue": float(value)}
        else:
            parameters[name] = {"StringValue": _string_of(value)}
    return parameters


def _string_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def artifacts_of(values: dict[str, str], media_type: str = "s3/uri") -> dict[str, dict]:
    """API artifacts: name -> S3 URI (the media type the SageMaker SDK uses for S3 locations)."""
    return {name: {"MediaType": media_type, "Value": uri} for name, uri in values.items()}


@dataclass(frozen=True)
class ComponentStatus:
    primary: str  # InProgress | Completed | Failed | Stopping | Stopped
    message: str | None = None

    def to_api(self) -> dict:
        status = {"PrimaryStatus": self.primary}
        if self.message:
            status["Message"] = self.message[:1024]  # the API's limit
        return status


class ExperimentRecords:
    """One account's experiment records through a boto3 SageMaker client (adaptive retries)."""

    def __init__(self, client) -> None:
        self.client = client

    # --- create if absent -------------------------------------------------------------------------
    def ensure_experiment(self, name: str, *, description: str | None = None) -> bool:
        """Create the experiment unless it exists; True when this call created it."""
        request: dict[str, Any] = {"ExperimentName": name}
        if description:
            request["Description"] = description
        return self._create(self.client.create_experiment, request)

    def ensure_trial(self, name: str, *, experiment_name: str) -> bool:
        return self._create(self.client.create_trial, {"TrialName": name, "ExperimentName": experiment_name})

    def ensure_component(
        self,
        name: str,
        *,
        display_name: str,
        status: ComponentStatus | None = None,
        parameters: dict[str, dict] | None = None,
        input_artifacts: dict[str, dict] | None = None,
        output_artifacts: dict[str, dict] | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
    ) -> bool:
        request: dict[str, Any] = {"TrialComponentName": name, "DisplayName": display_name}
        request.update(_component_fields(status, parameters, input_artifacts, output_artifacts, start_time, end_time))
        return self._create(self.client.create_trial_component, request)

    def _create(self, create, request: dict) -> bool:
        try:
            create(**request)
            return True
        except ClientError as error:
            # A retried state finds its record from the first attempt: that is success.
            if is_already_exists(error):
                return False
            raise

    def update_component(
        self,
        name: str,
        *,
        status: ComponentStatus | None = None,
        parameters: dict[str, dict] | None = None,
        input_artifacts: dict[str, dict] | None = None,
        output_artifacts: dict[str, dict] | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
    ) -> None:
        request: dict[str, Any] = {"TrialComponentName": name}
        request.update(_component_fields(status, parameters, input_artifacts, output_artifacts, start_time, end_time))
        self.client.update_trial_component(**request)

    def associate(self, component_name: str, trial_name: str) -> None:
        """Associate (a repeated association is a no-op for the API)."""
        self.client.associate_trial_component(TrialComponentName=component_name, TrialName=trial_name)

    def describe_experiment(self, name: str) -> dict | None:
        return self._describe(self.client.describe_experiment, ExperimentName=name)

    def describe_component(self, name: str) -> dict | None:
        return self._describe(self.client.describe_trial_component, TrialComponentName=name)

    @staticmethod
    def _describe(describe, **request) -> dict | None:
        try:
            return describe(**request)
        except ClientError as error:
            if is_not_found(error):
                return None
            raise

    def trial_names(self, experiment_name: str) -> list[str]:
        """Every trial of the experiment (all pages); empty when the experiment is gone."""
        return [t["TrialName"] for t in self._pages("list_trials", "TrialSummaries", ExperimentName=experiment_name)]

    def components_of_experiment(self, experiment_name: str) -> Iterator[tuple[str, list[tuple[str, str]]]]:
        """Every component associated with a trial of the experiment, with all its parents
        (trial, experiment), of any experiment: one paginated Search, pages fetched as consumed.

        DisassociateTrialComponent (API reference): "To get a list of the trials a component is
        associated with, use the Search API. Specify ExperimentTrialComponent for the Resource
        parameter. The list appears in the response under Results.TrialComponent.Parents."
        Parent: "A component can be associated with multiple trials." A component associated with
        no trial any more has no parent and is not found this way."""
        expression = {"Filters": [{"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": experiment_name}]}
        for result in self._pages(
            "search", "Results", Resource="ExperimentTrialComponent", SearchExpression=expression
        ):
            component = result.get("TrialComponent") or {}
            name = component.get("TrialComponentName")
            if name:
                parents = [
                    (p["TrialName"], p.get("ExperimentName", ""))
                    for p in component.get("Parents") or []
                    if p.get("TrialName")
                ]
                yield name, parents

    def tags_of(self, arn: str) -> dict[str, str]:
        return {t["Key"]: t.get("Value", "") for t in self._pages("list_tags", "Tags", ResourceArn=arn)}

    def add_tags(self, arn: str, tags: dict[str, str]) -> None:
        """AddTags: "Adds or overwrites one or more tags for the specified SageMaker resource."""
        self.client.add_tags(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])

    def _pages(self, operation: str, key: str, **request) -> Iterator[dict]:
        paginator = self.client.get_paginator(operation)
        try:
            for page in paginator.paginate(**request, PaginationConfig={"PageSize": PAGE_SIZE}):
                yield from page.get(key, [])
        except ClientError as error:
            if not is_not_found(error):
                raise

    # --- deletes: a record already gone counts as done ----------------------------------------------
    def disassociate(self, component_name: str, trial_name: str) -> bool:
        """True when this call removed the association, False when it was already gone."""
        return self._gone_is_done(
            self.client.disassociate_trial_component, TrialComponentName=component_name, TrialName=trial_name
        )

    def delete_component(self, name: str) -> bool:
        return self._gone_is_done(self.client.delete_trial_component, TrialComponentName=name)

    def delete_trial(self, name: str) -> bool:
        return self._gone_is_done(self.client.delete_trial, TrialName=name)

    def delete_experiment(self, name: str) -> bool:
        return self._gone_is_done(self.client.delete_experiment, ExperimentName=name)

    @staticmethod
    def _gone_is_done(call, **request) -> bool:
        try:
            call(**request)
            return True
        except ClientError as error:
            if is_not_found(error):
                return False
            raise


def _component_fields(status, parameters, input_artifacts, output_artifacts, start_time, end_time) -> dict:
    fields: dict[str, Any] = {}
    if status is not None:
        fields["Status"] = status.to_api()
    if parameters:
        fields["Parameters"] = parameters
    if input_artifacts:
        fields["InputArtifacts"] = input_artifacts
    if output_artifacts:
        fields["OutputArtifacts"] = output_artifacts
    if start_time is not None:
        fields["StartTime"] = start_time
    if end_time is not None:
        fields["EndTime"] = end_time
    return fields
