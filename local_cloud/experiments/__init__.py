"""The local SageMaker Experiments API: records with the real API's rules, Search, pages, and its moto plug."""

from local_cloud.experiments.backend import (
    TRAINING_JOB_COMPONENT_SUFFIX,
    TRAINING_JOB_SOURCE_TYPE,
    ExperimentsBackend,
)
from local_cloud.experiments.exceptions import (
    ExperimentsApiError,
    ResourceLimitExceeded,
    ResourceNotFound,
    ThrottlingException,
    ValidationException,
)
from local_cloud.experiments.models import ENTITY_NAME_MAX_LENGTH, ENTITY_NAME_PATTERN, PRIMARY_STATUSES
from local_cloud.experiments.pagination import DEFAULT_MAX_RESULTS, MAX_MAX_RESULTS
from local_cloud.experiments.registry import backend_for, reset_backends

__all__ = [
    "DEFAULT_MAX_RESULTS",
    "ENTITY_NAME_MAX_LENGTH",
    "ENTITY_NAME_PATTERN",
    "MAX_MAX_RESULTS",
    "PRIMARY_STATUSES",
    "TRAINING_JOB_COMPONENT_SUFFIX",
    "TRAINING_JOB_SOURCE_TYPE",
    "ExperimentsApiError",
    "ExperimentsBackend",
    "ResourceLimitExceeded",
    "ResourceNotFound",
    "ThrottlingException",
    "ValidationException",
    "backend_for",
    "reset_backends",
]
