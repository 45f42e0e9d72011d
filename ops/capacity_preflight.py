"""Before an execution starts: do the SageMaker instance quotas (and Lambda concurrency, if reserved) fit it?

What is checked is what the *deployed* training state machine asks for (its definition, read with
DescribeStateMachine): each job state's instance type and count, whether training uses managed spot
(which has quotas of its own), and the Map's MaxConcurrency, so a stack deployed with other context
values is checked as it is.

SageMaker quotas are per instance type and job kind, named "<type> for training job usage",
"<type> for spot training job usage", "<type> for processing job usage", "<type> for transform job
usage" (the names ResourceLimitExceeded quotes: "The account-level service limit 'ml.m5.large for
transform job usage' is 0 Instances"). Their codes (L-xxxxxxxx) differ per type and are not
documented as a table, so the quotas are found by name in a paginated ListServiceQuotas for
ServiceCode "sagemaker". That call "Lists the applied quota values [...]. If the applied quota value
is not available for a quota, the quota is not retrieved" (Service Quotas API reference), so a name
it does not return is looked up in ListAWSDefaultServiceQuotas (the default the account has).

Verdicts: a quota below what one job needs refuses the start (every such job would fail with
ResourceLimitExceeded); a training quota below InstanceCount x the trials that run at once only
warns: the trials queue (the Train state's capacity retry waits for a running trial to end).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from contract import states
from ops.errors import OperatorError

SAGEMAKER_SERVICE_CODE = "sagemaker"


class CapacityRefused(OperatorError):
    """A SageMaker quota is below what one job of the execution needs; the message names the numbers."""


@dataclass(frozen=True)
class JobCapacity:
    """What one job state asks for, and how many of its jobs run at once."""

    state: str
    quota_name: str
    instance_type: str
    instance_count: int
    at_once: int = 1

    @property
    def one_job(self) -> int:
        return self.instance_count

    @property
    def all_at_once(self) -> int:
        return self.instance_count * self.at_once


@dataclass
class PreflightReport:
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


def capacity_needs(definition: dict, *, trials: int) -> list[JobCapacity]:
    """The quotas the deployed definition draws on, for an execution of `trials` trials."""
    top = definition["States"]
    trial_map = top[states.TRAIN_TRIALS]
    train = trial_map["ItemProcessor"]["States"][states.TRAIN]["Parameters"]
    # MaxConcurrency 0 (or absent) means no limit: every trial at once.
    concurrency = trial_map.get("MaxConcurrency") or trials
    spot = bool(train.get("EnableManagedSpotTraining"))
    processing = top[states.PREPROCESS]["Parameters"]["ProcessingResources"]["ClusterConfig"]
    transform = top[states.TRANSFORM]["Parameters"]["TransformResources"]
    return [
        _job(states.PREPROCESS, "processing job", processing["InstanceType"], processing["InstanceCount"]),
        _job(
            states.TRAIN,
            "spot training job" if spot else "training job",
            train["ResourceConfig"]["InstanceType"],
            train["ResourceConfig"]["InstanceCount"],
            at_once=min(concurrency, trials),
        ),
        _job(states.TRANSFORM, "transform job", transform["InstanceType"], transform["InstanceCount"]),
    ]


def _job(state: str, kind: str, instance_type: str, count: int, at_once: int = 1) -> JobCapacity:
    return JobCapacity(state, f"{instance_type} for {kind} usage", instance_type, int(count), at_once)


def sagemaker_quotas(service_quotas, names: Iterable[str]) -> dict[str, float]:
    """{quota name: value} for `names`: applied values, else defaults; names without a quota are left out."""
    wanted = set(names)
    found = _by_name(service_quotas.get_paginator("list_service_quotas"), wanted)
    missing = wanted - set(found)
    if missing:
        found.update(_by_name(service_quotas.get_paginator("list_aws_default_service_quotas"), missing))
    return found


def _by_name(paginator, wanted: set[str]) -> dict[str, float]:
    found = {}
    for page in paginator.paginate(ServiceCode=SAGEMAKER_SERVICE_CODE):
        for quota in page["Quotas"]:
            if quota.get("QuotaName") in wanted:
                found[quota["QuotaName"]] = float(quota["Value"])
    return found


def check_capacity(needs: list[JobCapacity], quotas: dict[str, float]) -> PreflightReport:
    report = PreflightReport()
    for need in needs:
        quota = quotas.get(need.quota_name)
        if quota is None:
            report.warnings.append(
                f"{need.state}: Service Quotas has no quota named '{need.quota_name}' in this region "
                f"(is {need.instance_type} offered for this job kind here?): not checked"
            )
            continue
        line = f"{need.state}: '{need.quota_name}' = {quota:g}, one job needs {need.one_job}"
        if need.at_once > 1:
            line += f", {need.at_once} at once need {need.all_at_once}"
        report.lines.append(line)
        if quota < need.one_job:
            report.refusals.append(
                f"{need.state} needs {need.one_job} x {need.instance_type} per job but the account's quota "
                f"'{need.quota_name}' is {quota:g}: every such job would fail with ResourceLimitExceeded"
            )
        elif quota < need.all_at_once:
            report.warnings.append(
                f"{need.state}: '{need.quota_name}' is {quota:g}, below the {need.all_at_once} instances "
                f"{need.at_once} trials at once would use: at most {int(quota // need.one_job)} train at once, "
                "the others wait for a slot (the Train state retries ResourceLimitExceeded)"
            )
    return report


def refusal_message(report: PreflightReport) -> str:
    return (
        "; ".join(report.refusals)
        + ". Request more in Service Quotas (service Amazon SageMaker), or deploy with an instance type "
        "you have quota for (e.g. -c trainingInstanceType=...); nothing was started"
    )


def lambda_reservations(cloudformation, lambda_client, stack_name: str) -> dict[str, int]:
    """{function name: reserved concurrency} of the stack's functions that reserve some."""
    reserved = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for resource in page["StackResourceSummaries"]:
            if resource["ResourceType"] != "AWS::Lambda::Function" or not resource.get("PhysicalResourceId"):
                continue
            name = resource["PhysicalResourceId"]
            value = lambda_client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
            if value:
                reserved[name] = int(value)
    return reserved


def check_lambda_concurrency(lambda_client, reserved: dict[str, int], *, trials_at_once: int) -> PreflightReport:
    """Reserved concurrency only: the account check is infra.quota_check's (the deployed functions
    already hold their reservations); a reservation below the trials at once throttles the per-trial
    recorders (Lambda.TooManyRequestsException, which their Retry rides out, slowly)."""
    from infra.quota_check import QuotaError, check_concurrency  # boto3 only, no CDK

    report = PreflightReport()
    if not reserved:
        report.lines.append(
            "Lambda: no function reserves concurrency (lambdaReservedConcurrency null): nothing to check"
        )
        return report
    try:
        report.lines.append(
            "Lambda: " + check_concurrency(lambda_client, reserved, already_held=sum(reserved.values()))
        )
    except QuotaError as error:
        report.warnings.append(f"Lambda: {error}")
    low = sorted(name for name, n in reserved.items() if n < trials_at_once)
    if low:
        report.warnings.append(
            f"Lambda: {len(low)} functions reserve fewer executions than the {trials_at_once} trials at once "
            f"({', '.join(f'{n} {reserved[n]}' for n in low)}): their calls are throttled and retried"
        )
    return report


def run_preflight(aws, deployment, *, trials: int) -> PreflightReport:
    """The whole check for an execution of `trials` trials on `deployment` (ops.deployment)."""
    from botocore.exceptions import ClientError

    definition = json.loads(
        aws.stepfunctions.describe_state_machine(stateMachineArn=deployment.training_state_machine_arn)["definition"]
    )
    needs = capacity_needs(definition, trials=trials)
    report = PreflightReport()
    try:
        quotas = sagemaker_quotas(aws.client("service-quotas"), (n.quota_name for n in needs))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("AccessDeniedException", "NoSuchResourceException"):
            raise
        report.warnings.append(
            f"SageMaker quotas not checked: {error.operation_name} refused ({error.response['Error']['Code']}); "
            "allow servicequotas:ListServiceQuotas and servicequotas:ListAWSDefaultServiceQuotas to check them"
        )
    else:
        _merge(report, check_capacity(needs, quotas))
    train = next(n for n in needs if n.state == states.TRAIN)
    reserved = lambda_reservations(aws.client("cloudformation"), aws.client("lambda"), deployment.stack_name)
    _merge(report, check_lambda_concurrency(aws.client("lambda"), reserved, trials_at_once=train.at_once))
    return report


def _merge(into: PreflightReport, other: PreflightReport) -> None:
    into.lines += other.lines
    into.warnings += other.warnings
    into.refusals += other.refusals
