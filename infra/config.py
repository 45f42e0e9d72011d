"""The project's deploy-time settings, read from CDK context (defaults live in cdk.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

from aws_cdk import Aws
from constructs import Node

from contract import quotas, stacks

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


class ConfigError(ValueError):
    """A context value is missing or has the wrong type; the message names the key."""


# Keys whose null (or absence) means "not configured".
OPTIONAL = ("lambda_reserved_concurrency",)


@dataclass(frozen=True)
class Config:
    stack_prefix: str
    project_tag: str
    repository_name: str
    processing_instance_type: str
    training_instance_type: str
    transform_instance_type: str
    trial_concurrency: int
    max_trials: int
    spot_training: bool
    max_runtime_seconds: int
    max_wait_seconds: int
    job_volume_size_gb: int
    # Off (null) by default: each reservation comes out of the account's concurrency quota, and
    # Lambda refuses one that leaves fewer than 100 unreserved ("You can reserve concurrency for as
    # many functions as you like, as long as you leave at least 100 simultaneous executions
    # unreserved for functions that aren't configured with a per-function limit", Lambda API
    # reference, PutFunctionConcurrency). 8 functions x 5 need a quota of 140; new accounts get
    # less. Check an account with `python -m infra.quota_check` before deploying with a value.
    lambda_reserved_concurrency: int | None
    log_retention_days: int
    noncurrent_version_expiration_days: int
    termination_protection: bool
    # SageMaker managed MLflow beside SageMaker Experiments: an MLflow App (README, "MLflow tracking").
    mlflow_tracking: bool
    local_cloud: bool

    @property
    def bucket_name(self) -> str:
        """One bucket per account and region, named as the MNIST notebook names its own."""
        return f"{self.project_tag}-{Aws.ACCOUNT_ID}-{Aws.REGION}"

    @property
    def mlflow_app_name(self) -> str | None:
        return self.project_tag if self.mlflow_tracking else None

    @property
    def data_stack_name(self) -> str:
        return stacks.data_stack_name(self.stack_prefix)

    @property
    def pipeline_stack_name(self) -> str:
        return stacks.pipeline_stack_name(self.stack_prefix)

    @classmethod
    def from_context(cls, node: Node) -> Config:
        values = {}
        for field in fields(cls):
            key = _context_key(field.name)
            value = node.try_get_context(key)
            if value is None and field.name not in OPTIONAL:
                raise ConfigError(f"context key '{key}' is missing (see cdk.json)")
            values[field.name] = _coerce(key, value, str(field.type))
        config = cls(**values)
        config.check()
        return config

    def check(self) -> None:
        for key in ("processingInstanceType", "trainingInstanceType", "transformInstanceType"):
            if not getattr(self, _field_name(key)).startswith("ml."):
                raise ConfigError(f"context key '{key}' must be a SageMaker instance type (ml.*)")
        if not 1 <= self.max_trials <= quotas.TRIALS_PER_EXPERIMENT:
            # One execution's trials all go to one experiment: more could never be recorded.
            raise ConfigError(
                f"context key 'maxTrials' must be between 1 and {quotas.TRIALS_PER_EXPERIMENT} "
                "(SageMaker Experiments' trials per experiment)"
            )
        if not 1 <= self.trial_concurrency <= self.max_trials:
            raise ConfigError("context key 'trialConcurrency' must be between 1 and 'maxTrials'")
        if self.spot_training and self.max_wait_seconds < self.max_runtime_seconds:
            # SageMaker rejects MaxWaitTimeInSeconds < MaxRuntimeInSeconds.
            raise ConfigError("context key 'maxWaitSeconds' must be >= 'maxRuntimeSeconds'")
        if self.lambda_reserved_concurrency is not None and self.lambda_reserved_concurrency < 1:
            raise ConfigError(
                "context key 'lambdaReservedConcurrency' must be an integer >= 1, or null for no reservation"
            )


def default_context() -> dict:
    """cdk.json's context, for code that builds an App outside the CDK CLI (tests, scripts)."""
    return json.loads(CDK_JSON.read_text())["context"]


def _context_key(field_name: str) -> str:
    head, *rest = field_name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _field_name(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key)


def _coerce(key: str, value, kind: str):
    # Context given with -c on the command line arrives as a string.
    if kind == "bool":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, bool):
            return value
        raise ConfigError(f"context key '{key}' must be true or false, got {value!r}")
    if kind in ("int", "int | None"):
        if value is None or value == "null":
            return None
        # int(True) == 1 and int(2.5) == 2: neither is an integer setting.
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ConfigError(f"context key '{key}' must be an integer, got {value!r}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"context key '{key}' must be an integer, got {value!r}") from None
    return str(value)
