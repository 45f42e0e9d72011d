"""Errors an operator can act on, each turned into one clear line instead of a traceback."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)

from contract import errors

THROTTLING_CODES = errors.THROTTLING_CODES  # boto3's adaptive retry mode already retried them
EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
}


class OperatorError(Exception):
    """A problem the operator can fix; its message is the one line the CLI prints."""

    exit_code = 1


class InvalidUsage(OperatorError):
    """Flags or files that make no valid request (exit status 2, as click's usage errors)."""

    exit_code = 2


def explain_aws_error(error: Exception) -> str | None:
    """One line saying what went wrong and what to do, for botocore errors; None for others."""
    if isinstance(error, ProfileNotFound):
        return (
            f"AWS profile {error.kwargs.get('profile', '')} not found: check AWS_PROFILE "
            "(`aws configure list-profiles` lists them)"
        )
    if isinstance(error, InvalidRegionError):
        return f"{str(error).rstrip('.')}: pass --region with a region name such as us-east-1"
    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return (
            "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), "
            "or run `aws configure` / `aws sso login`"
        )
    if isinstance(error, TokenRetrievalError):
        return f"AWS credentials could not be refreshed ({error}): run `aws sso login` again"
    if isinstance(error, NoRegionError):
        return "no AWS region configured: pass --region or set AWS_DEFAULT_REGION"
    if isinstance(error, EndpointConnectionError):
        return (
            f"cannot reach the AWS endpoint {error.kwargs.get('endpoint_url', '')}: "
            "check --endpoint-url / AWS_ENDPOINT_URL (is the local cloud running?)"
        )
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "") or str(error)
        operation = error.operation_name
        if code in THROTTLING_CODES:
            attempts = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
            return (
                f"AWS kept throttling {operation} ({code}) after {attempts} retries: "
                "wait a minute and run the command again"
            )
        if code in EXPIRED_CODES:
            return f"your AWS credentials have expired ({code}): refresh them and run the command again"
        if code in DENIED_CODES:
            return f"AWS denied {operation} ({code}): {message}"
        return f"{operation} failed: {code}: {message}"
    if isinstance(error, BotoCoreError):
        # Timeouts, TLS and configuration problems: botocore's own message is one readable line.
        return f"AWS SDK error ({type(error).__name__}): {error}"
    return None
