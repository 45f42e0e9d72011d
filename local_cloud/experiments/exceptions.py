"""The errors the Experiments API answers, each with its real AWS error code and HTTP status 400."""

from __future__ import annotations


class ExperimentsApiError(Exception):
    """An error the API returns: `code` is the AWS error code, HTTP status 400 like the real API."""

    code = "InternalFailure"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ResourceNotFound(ExperimentsApiError):
    # Every Experiments operation lists: "ResourceNotFound - Resource being access is not found.
    # HTTP Status Code: 400".
    code = "ResourceNotFound"


class ValidationException(ExperimentsApiError):
    code = "ValidationException"


class ThrottlingException(ExperimentsApiError):
    code = "ThrottlingException"


class ResourceLimitExceeded(ExperimentsApiError):
    code = "ResourceLimitExceeded"
