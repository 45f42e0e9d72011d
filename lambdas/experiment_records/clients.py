"""boto3 clients of the functions: adaptive retries (client-side rate limiting on throttling)."""

from __future__ import annotations

import boto3
from botocore.config import Config

# Adaptive mode retries throttling and transient errors with backoff and slows the client's send
# rate when the service throttles: the functions never sleep on their own.
MAX_ATTEMPTS = 8
RETRY_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": MAX_ATTEMPTS})


def sagemaker_client():
    return boto3.client("sagemaker", config=RETRY_CONFIG)


def s3_client():
    return boto3.client("s3", config=RETRY_CONFIG)
