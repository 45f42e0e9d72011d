"""Finds the deployed stacks' outputs and makes the boto3 clients every command uses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from contract import stacks
from contract.stacks import (
    BUCKET_OUTPUT,
    CLEANUP_STATE_MACHINE_OUTPUT,
    DEFAULT_STACK_PREFIX,
    MAX_TRIALS_OUTPUT,
    TRAINING_STATE_MACHINE_OUTPUT,
)
from ops.errors import OperatorError

__all__ = ["DEFAULT_STACK_PREFIX", "AwsAccess", "Deployment", "local_max_trials"]
CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"
DEFAULT_MAX_TRIALS = 20  # cdk.json context `maxTrials`, when the CLI runs outside the repository
# Adaptive mode retries throttling with client-side rate limiting; after this many retries the
# error reaches the operator as one line (ops.errors.explain_aws_error).
MAX_RETRIES = 7


@dataclass(frozen=True)
class AwsAccess:
    """Where the CLI talks to: an endpoint (real AWS when None), a region, a stack prefix."""

    endpoint_url: str | None = None
    region: str | None = None
    stack_prefix: str = DEFAULT_STACK_PREFIX

    @cached_property
    def session(self) -> boto3.session.Session:
        return boto3.session.Session(region_name=self.region)

    def client(self, service: str):
        config = Config(retries={"mode": "adaptive", "total_max_attempts": MAX_RETRIES + 1})
        # endpoint_url=None lets boto3 use AWS_ENDPOINT_URL(_<SERVICE>) or the real endpoint.
        try:
            return self.session.client(service, endpoint_url=self.endpoint_url, config=config)
        except ValueError as error:  # botocore: "Invalid endpoint: <url>" (flag or AWS_ENDPOINT_URL)
            if "endpoint" not in str(error).lower():
                raise
            raise OperatorError(
                f"{error}: give a URL such as http://localhost:PORT (--endpoint-url or AWS_ENDPOINT_URL)"
            ) from None

    @cached_property
    def sagemaker(self):
        return self.client("sagemaker")

    @cached_property
    def stepfunctions(self):
        return self.client("stepfunctions")

    @property
    def where(self) -> str:
        region = self.session.region_name or "no region"
        return f"{region} at {self.endpoint_url}" if self.endpoint_url else region

    @property
    def pipeline_stack_name(self) -> str:
        return stacks.pipeline_stack_name(self.stack_prefix)

    def deployment(self) -> Deployment:
        return Deployment.look_up(self)

    def mlflow_app_arn(self) -> str:
        """The data stack's MlflowArn output (deployed with context mlflowTracking=true)."""
        name = stacks.data_stack_name(self.stack_prefix)
        outputs = self.stack_outputs(name)[1]
        if stacks.MLFLOW_ARN_OUTPUT not in outputs:
            raise OperatorError(
                f"stack {name} has no MLflow App (output {stacks.MLFLOW_ARN_OUTPUT}): "
                "deploy with `cdk deploy --all -c mlflowTracking=true`"
            )
        return outputs[stacks.MLFLOW_ARN_OUTPUT]

    def stack_outputs(self, name: str) -> tuple[dict, dict[str, str]]:
        """(DescribeStacks' stack, its outputs by key); OperatorError when the stack is not deployed."""
        try:
            found = self.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
        except ClientError as error:
            if "does not exist" in error.response.get("Error", {}).get("Message", ""):
                raise OperatorError(
                    f"stack {name} is not deployed in {self.where}: run `cdk deploy --all` "
                    f"(or pass the --stack-prefix it was deployed with)"
                ) from None
            raise
        stack = found[0]
        return stack, {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


@dataclass(frozen=True)
class Deployment:
    """The outputs of the deployed `<prefix>Pipeline` stack."""

    stack_name: str
    training_state_machine_arn: str
    cleanup_state_machine_arn: str
    bucket_name: str
    max_trials: int | None = None  # the MaxTrials output; None for a stack deployed before it existed

    @classmethod
    def look_up(cls, aws: AwsAccess) -> Deployment:
        name = aws.pipeline_stack_name
        stack, outputs = aws.stack_outputs(name)
        missing = [
            key
            for key in (TRAINING_STATE_MACHINE_OUTPUT, CLEANUP_STATE_MACHINE_OUTPUT, BUCKET_OUTPUT)
            if key not in outputs
        ]
        if missing:
            raise OperatorError(
                f"stack {name} ({stack.get('StackStatus', 'unknown status')}) has no output "
                f"{', '.join(missing)}: deploy this project's stacks with `cdk deploy --all`"
            )
        return cls(
            stack_name=name,
            training_state_machine_arn=outputs[TRAINING_STATE_MACHINE_OUTPUT],
            cleanup_state_machine_arn=outputs[CLEANUP_STATE_MACHINE_OUTPUT],
            bucket_name=outputs[BUCKET_OUTPUT],
            max_trials=_positive_int(outputs.get(MAX_TRIALS_OUTPUT)),
        )


def local_max_trials() -> int:
    """The project's default trial limit (cdk.json context `maxTrials`)."""
    try:
        return int(json.loads(CDK_JSON.read_text())["context"]["maxTrials"])
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_MAX_TRIALS


def _positive_int(text: str | None) -> int | None:
    try:
        value = int(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and value > 0 else None
