"""Step Functions states that run SageMaker jobs (.sync) with the Parameters CDK cannot express."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

import contract

# Paths as the job sees them inside the container (never remapped in a request).
CONTAINER = contract.ContainerPaths(Path(contract.DEFAULT_OPT_ML_ROOT))


class SageMakerProcessingJob(sfn.CustomState):
    """CreateProcessingJob.sync: aws_stepfunctions_tasks has no such task (aws/aws-cdk#9537).

    Its IAM is the same set the CDK's SageMaker tasks grant for their own job types: create,
    describe, stop and tag processing jobs; the events rule Step Functions uses to learn when
    the job ends; and iam:PassRole on the job role, only to SageMaker.
    """

    def __init__(self, scope: Construct, id: str, *, role: iam.IRole, parameters: dict, **kwargs) -> None:
        stack = Stack.of(scope)
        super().__init__(
            scope,
            id,
            state_json={
                "Type": "Task",
                "Resource": f"arn:{stack.partition}:states:::sagemaker:createProcessingJob.sync",
                "Parameters": {**parameters, "RoleArn": role.role_arn},
                **kwargs,
            },
        )
        arn = f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}"
        self.policy_statements = [
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateProcessingJob",
                    "sagemaker:DescribeProcessingJob",
                    "sagemaker:StopProcessingJob",
                    "sagemaker:AddTags",
                    "sagemaker:ListTags",
                ],
                resources=[f"{arn}:processing-job/*"],
            ),
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/"
                    "StepFunctionsGetEventsForSageMakerProcessingJobsRule"
                ],
            ),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
        ]


class _ExtraParameters:
    """Adds Parameters a CDK SageMaker task cannot express, keeping the task's IAM grants.

    Values are merged into the rendered Parameters; a "Key.$" replaces a rendered "Key", so a
    JSONPath taken from the execution state wins over a static value given only for IAM binding.
    """

    _extra_parameters: dict

    def to_state_json(self, *args, **kwargs):  # jsii override
        state = super().to_state_json(*args, **kwargs)  # type: ignore[misc]  # defined on the jsii base
        state["Parameters"] = _merge(state["Parameters"], self._extra_parameters)
        return state


class SageMakerTrainingJob(_ExtraParameters, tasks.SageMakerCreateTrainingJob):
    """CreateTrainingJob.sync plus ExperimentConfig, per-trial HyperParameters and channels, spot.

    The CDK task keeps generating the IAM (create/describe/stop, events rule, scoped PassRole).
    """

    def __init__(self, scope: Construct, id: str, *, extra_parameters: dict, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self._extra_parameters = extra_parameters


class SageMakerTransformJob(_ExtraParameters, tasks.SageMakerCreateTransformJob):
    """CreateTransformJob.sync plus ExperimentConfig (the CDK task has none); its IAM stays the CDK's."""

    def __init__(self, scope: Construct, id: str, *, extra_parameters: dict, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self._extra_parameters = extra_parameters


class SageMakerModel(_ExtraParameters, tasks.SageMakerCreateModel):
    """CreateModel whose ModelDataUrl comes from the execution state."""

    def __init__(self, scope: Construct, id: str, *, extra_parameters: dict, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self._extra_parameters = extra_parameters


def _merge(rendered: dict, extra: dict) -> dict:
    merged = dict(rendered)
    for key, value in extra.items():
        if key.endswith(".$"):
            merged.pop(key[:-2], None)
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def spot_training_parameters(*, max_wait: Duration, checkpoint_s3_uri_path: str) -> dict:
    """The fields that turn a training job into a managed spot job that resumes from checkpoints."""
    return {
        "EnableManagedSpotTraining": True,
        "StoppingCondition": {"MaxWaitTimeInSeconds": max_wait.to_seconds()},
        "CheckpointConfig": {"S3Uri.$": checkpoint_s3_uri_path, "LocalPath": str(CONTAINER.checkpoints)},
    }
