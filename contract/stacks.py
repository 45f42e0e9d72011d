"""The deployed stacks: their names and the outputs the CLI and the local cloud look up (docs/stack-outputs.md)."""

from __future__ import annotations

DEFAULT_STACK_PREFIX = "Experiments"  # cdk.json context `stackPrefix`
DATA_STACK_SUFFIX = "Data"
PIPELINE_STACK_SUFFIX = "Pipeline"

# Outputs of the data stack.
BUCKET_OUTPUT = "BucketName"
KEY_ARN_OUTPUT = "KeyArn"
REPOSITORY_NAME_OUTPUT = "RepositoryName"
REPOSITORY_URI_OUTPUT = "RepositoryUri"
MLFLOW_ARN_OUTPUT = "MlflowArn"  # only with context mlflowTracking=true
MLFLOW_UI_OUTPUT = "MlflowUiUrl"
# Outputs of the pipeline stack (it repeats BucketName, so one stack answers every lookup the CLI makes).
SAGEMAKER_ROLE_OUTPUT = "SageMakerRoleArn"
TRAINING_STATE_MACHINE_OUTPUT = "TrainingStateMachineArn"
CLEANUP_STATE_MACHINE_OUTPUT = "CleanupStateMachineArn"
JOBS_IMAGE_OUTPUT = "JobsImageUri"
MAX_TRIALS_OUTPUT = "MaxTrials"


def data_stack_name(prefix: str = DEFAULT_STACK_PREFIX) -> str:
    return f"{prefix}{DATA_STACK_SUFFIX}"


def pipeline_stack_name(prefix: str = DEFAULT_STACK_PREFIX) -> str:
    return f"{prefix}{PIPELINE_STACK_SUFFIX}"
