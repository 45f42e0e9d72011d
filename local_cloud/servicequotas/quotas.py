"""The quota values the local cloud serves: one per SageMaker instance type and job kind, and Lambda's concurrency.

AWS names SageMaker's instance quotas "<type> for training job usage", "<type> for spot training job
usage", "<type> for processing job usage" and "<type> for transform job usage" (the names
ResourceLimitExceeded quotes); the types are those botocore's SageMaker model accepts for each job
kind. Values: LOCAL_CLOUD_QUOTAS (a JSON object of quota name -> value, e.g.
'{"ml.m5.large for spot training job usage": 1}') over a local default of DEFAULT_INSTANCES each;
Lambda's "Concurrent executions" is MOTO_LAMBDA_CONCURRENCY_QUOTA (the variable with which moto
enforces reservations) or AWS's default of 1,000. The quotas are served, not enforced on jobs.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache

QUOTAS_VARIABLE = "LOCAL_CLOUD_QUOTAS"
LAMBDA_QUOTA_VARIABLE = "MOTO_LAMBDA_CONCURRENCY_QUOTA"
DEFAULT_INSTANCES = 4.0
LAMBDA_DEFAULT_CONCURRENCY = 1000  # "Concurrent executions: 1,000" (Lambda quotas page, default)
LAMBDA_CONCURRENCY_QUOTA = ("L-B99A9384", "Concurrent executions")  # its code in Service Quotas

# The botocore enum of instance types for each job kind, and the kinds' quota name suffixes.
_KINDS = {
    "TrainingInstanceType": ("training job usage", "spot training job usage"),
    "ProcessingInstanceType": ("processing job usage",),
    "TransformInstanceType": ("transform job usage",),
}


@dataclass(frozen=True)
class Quota:
    service_code: str
    code: str
    name: str
    value: float

    def to_json(self, account_id: str, region: str) -> dict:
        service_name = {"sagemaker": "Amazon SageMaker", "lambda": "AWS Lambda"}[self.service_code]
        return {
            "ServiceCode": self.service_code,
            "ServiceName": service_name,
            "QuotaArn": f"arn:aws:servicequotas:{region}:{account_id}:{self.service_code}/{self.code}",
            "QuotaCode": self.code,
            "QuotaName": self.name,
            "Value": self.value,
            "Unit": "None",
            "Adjustable": True,
            "GlobalQuota": False,
        }


@cache
def sagemaker_quota_names() -> tuple[str, ...]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    names = []
    for shape_name, suffixes in _KINDS.items():
        for instance_type in model.shape_for(shape_name).enum:
            names += [f"{instance_type} for {suffix}" for suffix in suffixes]
    return tuple(sorted(names))


def configured_values() -> dict[str, float]:
    raw = os.environ.get(QUOTAS_VARIABLE, "").strip()
    if not raw:
        return {}
    values = json.loads(raw)
    if not isinstance(values, dict) or not all(isinstance(v, (int, float)) for v in values.values()):
        raise ValueError(f"{QUOTAS_VARIABLE} must be a JSON object of quota name -> number, got {raw!r}")
    return {str(k): float(v) for k, v in values.items()}


def lambda_concurrency() -> int:
    return int(os.environ.get(LAMBDA_QUOTA_VARIABLE) or LAMBDA_DEFAULT_CONCURRENCY)


def quotas(service_code: str, *, applied: bool) -> list[Quota]:
    """The service's quotas: the configured (applied) values, or the local defaults."""
    if service_code == "lambda":
        code, name = LAMBDA_CONCURRENCY_QUOTA
        value = lambda_concurrency() if applied else LAMBDA_DEFAULT_CONCURRENCY
        return [Quota("lambda", code, name, float(value))]
    if service_code != "sagemaker":
        return []
    overrides = configured_values() if applied else {}
    return [Quota("sagemaker", _code(n), n, overrides.get(n, DEFAULT_INSTANCES)) for n in sagemaker_quota_names()]


def _code(name: str) -> str:
    # Stable per name, in AWS's form (L- and 8 hex digits); AWS's own codes are not derivable.
    return "L-" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()
