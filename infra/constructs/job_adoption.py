"""Adopts the SageMaker job that already holds a job state's name: describe it until it ends, take its outcome."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from contract import states

# Create*Job refused because the name exists: "ResourceInUse: ... Training job names must be unique
# within an AWS account and region, and a training job with this name already exists (arn:...)" (the
# API's error, as reported in aws/amazon-sagemaker-examples PR #3108; CreateProcessingJob and
# CreateTransformJob list the same ResourceInUse, "Resource being accessed is in use", in the API
# reference). A Create retried after an ambiguous error (a timeout, a 5xx) meets its own job this way;
# the error name Step Functions gives it is not documented, so the Choice reads the cause, which
# carries the API's message.
NAME_IN_USE_CAUSE = "*already exists*"
# How often an adopted job is described while it runs (jobs run for minutes).
ADOPTED_JOB_POLL = Duration.seconds(30)


@dataclass(frozen=True)
class SageMakerJobKind:
    """What differs between the three job kinds: the Describe call, its name field, its status field."""

    title: str  # Training, Processing, Transform

    @property
    def describe_action(self) -> str:
        return f"describe{self.title}Job"

    @property
    def name_field(self) -> str:
        return f"{self.title}JobName"

    @property
    def status_field(self) -> str:
        return f"{self.title}JobStatus"

    @property
    def arn_resource(self) -> str:
        return f"{self.title.lower()}-job"


TRAINING = SageMakerJobKind("Training")
PROCESSING = SageMakerJobKind("Processing")
TRANSFORM = SageMakerJobKind("Transform")


def adopt_existing_job(
    scope: Construct,
    names: states.JobAdoption,
    kind: SageMakerJobKind,
    *,
    job_name_path: str,
    error_path: str,
    result_path: str,
    completed: sfn.IChainable,
    ended_unsuccessfully: sfn.Pass,
    not_adopted: sfn.IChainable,
    retry,
) -> sfn.Choice:
    """The states a job state's Catch (result at `error_path`) goes to.

    A job of that name exists: its Describe*Job goes to `result_path` (the job state's own result
    path, so what follows reads it as it reads the job state's result) until its status ends:
    Completed goes on to `completed`; Failed or Stopped to `ended_unsuccessfully` (a Pass whose
    result the caller chose: an empty error, or one made of the Describe), which the caller chains.
    Any other caught error, or a Describe that still fails after `retry`, goes to `not_adopted`.
    """
    describe = tasks.CallAwsService(
        scope,
        names.describe,
        service="sagemaker",
        action=kind.describe_action,
        parameters={kind.name_field: sfn.JsonPath.string_at(job_name_path)},
        iam_resources=[Stack.of(scope).format_arn(service="sagemaker", resource=kind.arn_resource, resource_name="*")],
        iam_action=f"sagemaker:Describe{kind.title}Job",
        result_path=result_path,
    )
    retry(describe)
    describe.add_catch(not_adopted, errors=[sfn.Errors.ALL], result_path=error_path)
    status = f"{result_path}.{kind.status_field}"
    wait = sfn.Wait(scope, names.wait, time=sfn.WaitTime.duration(ADOPTED_JOB_POLL))
    ended = (
        sfn.Choice(scope, names.ended)
        .when(sfn.Condition.string_equals(status, "Completed"), completed)
        .when(
            sfn.Condition.or_(
                sfn.Condition.string_equals(status, "Failed"), sfn.Condition.string_equals(status, "Stopped")
            ),
            ended_unsuccessfully,
        )
        .otherwise(wait.next(describe))
    )
    describe.next(ended)
    return (
        sfn.Choice(scope, names.exists)
        .when(sfn.Condition.string_matches(f"{error_path}.Cause", NAME_IN_USE_CAUSE), describe)
        .otherwise(not_adopted)
    )
