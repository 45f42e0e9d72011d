"""Lambda tests run against moto with the enforcing Experiments API plugged in (emulator.install())."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from local_cloud import experiments, plug

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
BUCKET = "experiments-bucket"


class FakeContext:
    """A Lambda context whose remaining time is given by the test (a budget in ms per call)."""

    function_name = "test-function"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:test-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def __init__(self, remaining_ms=None) -> None:
        self._remaining = remaining_ms or (lambda: 300_000)

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining()


@pytest.fixture
def context():
    return FakeContext()


@pytest.fixture
def aws(monkeypatch):
    """moto with the enforcing Experiments API; the functions' environment; the project bucket."""
    plug.install()
    monkeypatch.setenv("BUCKET_NAME", BUCKET)
    monkeypatch.setenv("MAX_TRIALS", "10")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "tests")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield


@pytest.fixture
def backend(aws):
    return experiments.backend_for(ACCOUNT, REGION)


@pytest.fixture
def sm(aws):
    return boto3.client("sagemaker", region_name=REGION)


@pytest.fixture
def quick_retries(monkeypatch):
    """Keep the adaptive retry mode but without real waiting: the storm test checks the outcome of
    retried throttling, not botocore's clock."""
    from botocore.retries import bucket, standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    monkeypatch.setattr(bucket.TokenBucket, "acquire", lambda self, amount=1, block=True: True)
