"""Reads SageMaker Experiments records (experiments, trials, trial components) with plain boto3.

Plain boto3 rather than the SageMaker SDK's ExperimentAnalytics: the same calls work against AWS
and the local cloud, and the CLI stays free of the SDK's ~450 MB.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from botocore.exceptions import ClientError

import contract
from ops.errors import OperatorError

TRAINING_SOURCE_TYPE = "SageMakerTrainingJob"  # Source.SourceType of a component SageMaker made for a job
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _not_found(error: ClientError) -> bool:
    details = error.response.get("Error", {})
    message = details.get("Message", "").lower()
    return details.get("Code") == "ResourceNotFound" or (
        details.get("Code") == "ValidationException"
        and ("not find" in message or "not exist" in message or "not found" in message)
    )


def describe_experiment(sagemaker, name: str) -> dict:
    try:
        return sagemaker.describe_experiment(ExperimentName=name)
    except ClientError as error:
        if _not_found(error):
            raise OperatorError(f"experiment {name} not found (list them with `python -m ops experiments`)") from None
        raise


def describe_trial(sagemaker, name: str) -> dict:
    try:
        return sagemaker.describe_trial(TrialName=name)
    except ClientError as error:
        if _not_found(error):
            raise OperatorError(
                f"trial {name} not found (`python -m ops compare EXPERIMENT` lists its trials)"
            ) from None
        raise


def _paginate(sagemaker, operation: str, key: str, **kwargs) -> list[dict]:
    items: list[dict] = []
    for page in sagemaker.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def experiments(sagemaker) -> list[dict]:
    return _paginate(sagemaker, "list_experiments", "ExperimentSummaries")


def trials(sagemaker, experiment_name: str) -> list[dict]:
    return _paginate(sagemaker, "list_trials", "TrialSummaries", ExperimentName=experiment_name)


def trial_count(sagemaker, experiment_name: str) -> int:
    """How many trials the experiment holds; 0 when it does not exist (yet)."""
    try:
        return len(trials(sagemaker, experiment_name))
    except ClientError as error:
        if _not_found(error):
            return 0
        raise


def trial_components(sagemaker, trial_name: str) -> list[dict]:
    """DescribeTrialComponent of every component of a trial, oldest first."""
    described = [
        sagemaker.describe_trial_component(TrialComponentName=summary["TrialComponentName"])
        for summary in _paginate(sagemaker, "list_trial_components", "TrialComponentSummaries", TrialName=trial_name)
    ]
    return sorted(described, key=lambda c: c.get("CreationTime") or _EPOCH)


def experiment_components(sagemaker, experiment_name: str) -> list[dict]:
    """Every trial component of an experiment, with its parent trials, oldest first: one Search a hundred
    components ("MaxResults ... Maximum value of 100", API_Search) instead of a ListTrialComponents per
    trial and a DescribeTrialComponent per component; the SageMaker SDK's ExperimentAnalytics filters
    the same way (Parents.ExperimentName)."""
    expression = {"Filters": [{"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": experiment_name}]}
    results = _paginate(
        sagemaker,
        "search",
        "Results",
        Resource="ExperimentTrialComponent",
        SearchExpression=expression,
        SortBy="CreationTime",
        SortOrder="Ascending",
        PaginationConfig={"PageSize": 100},
    )
    return [result["TrialComponent"] for result in results]


def is_training(component: dict) -> bool:
    source = component.get("Source") or {}
    return (
        component.get("DisplayName") == contract.TRAINING_DISPLAY_NAME
        or component["TrialComponentName"].endswith(contract.TRAINING_COMPONENT_SUFFIX)
        or source.get("SourceType") == TRAINING_SOURCE_TYPE
    )


def training_job_name(component: dict) -> str:
    source_arn = (component.get("Source") or {}).get("SourceArn", "")
    if ":training-job/" in source_arn:
        return source_arn.rsplit("/", 1)[1]
    return component["TrialComponentName"].removesuffix(contract.TRAINING_COMPONENT_SUFFIX)


def parameter_value(parameter: dict):
    """A component parameter as a number when it is one: SageMaker records a job's numeric
    hyperparameters as NumberValue (32.0 shown as 32), the Lambdas record them as the job's text."""
    if "NumberValue" in parameter:
        number = parameter["NumberValue"]
        return int(number) if float(number).is_integer() else number
    text = parameter.get("StringValue", "")
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


# The Status.Message of a component SageMaker made for a job: "Status: Completed, exit message: null,
# failure reason: null" (a Lambda-made component's message is the failure reason itself).
_JOB_STATUS_MESSAGE = re.compile(r"^Status: \w+, exit message: .*?, failure reason: (?P<reason>.*)$", re.DOTALL)


def failure_reason(component: dict) -> str | None:
    """Why a failed component failed, from its Status.Message in either form; None unless Failed."""
    status = component.get("Status") or {}
    message = status.get("Message")
    if status.get("PrimaryStatus") != "Failed" or not message:
        return None
    job = _JOB_STATUS_MESSAGE.match(message)
    reason = job.group("reason") if job else message
    return None if reason == "null" else reason


def final_metrics(component: dict) -> dict[str, float]:
    """Each metric's last value, as the training job's FinalMetricDataList."""
    return {m["MetricName"]: m["Last"] for m in component.get("Metrics") or [] if "Last" in m}
