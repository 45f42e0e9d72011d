"""The pipeline stack: SageMaker role, jobs image, Lambdas and the two state machines."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from contract import stacks
from infra.config import Config
from infra.constructs import functions as fns
from infra.constructs.cleanup_pipeline import CleanupPipeline
from infra.constructs.functions import ExperimentFunctions
from infra.constructs.jobs_image import JobsImage
from infra.constructs.mlflow_tracking import grant_tracking
from infra.constructs.sagemaker_execution_role import SageMakerExecutionRole
from infra.constructs.training_pipeline import JobSettings, TrainingPipeline

# The local cloud runs the jobs package as processes and never pulls an image, and it has no
# Docker to build one: its stacks reference this tag instead of a built image asset.
LOCAL_IMAGE_TAG = "local"


class PipelineStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: Config,
        key: kms.IKey,
        mlflow_arn: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        retention = _retention(config.log_retention_days)
        # By name, not by cross-stack reference (an export would pin them): the data stack names
        # both deterministically. Only the key is imported.
        bucket = s3.Bucket.from_bucket_name(self, "ArtifactsBucket", config.bucket_name)
        repository = ecr.Repository.from_repository_name(self, "JobsRepository", config.repository_name)

        sagemaker = SageMakerExecutionRole(self, "SageMaker", bucket=bucket, key=key, repository=repository)
        if mlflow_arn:
            grant_tracking(sagemaker.role, mlflow_arn)  # the training jobs log their epochs
        image_uri = (
            repository.repository_uri_for_tag(LOCAL_IMAGE_TAG)
            if config.local_cloud
            else JobsImage(self, "JobsImage").image_uri
        )
        functions = ExperimentFunctions(
            self,
            "Functions",
            bucket=bucket,
            key=key,
            max_trials=config.max_trials,
            reserved_concurrency=config.lambda_reserved_concurrency,
            log_retention=retention,
            mlflow_arn=mlflow_arn,
        )
        training = TrainingPipeline(
            self,
            "Training",
            functions=functions,
            sagemaker_role=sagemaker.role,
            image_uri=image_uri,
            key=key,
            bucket=bucket,
            trial_concurrency=config.trial_concurrency,
            jobs=JobSettings(
                processing_instance_type=config.processing_instance_type,
                training_instance_type=config.training_instance_type,
                transform_instance_type=config.transform_instance_type,
                volume_size_gb=config.job_volume_size_gb,
                max_runtime=Duration.seconds(config.max_runtime_seconds),
                spot_training=config.spot_training,
                max_wait=Duration.seconds(config.max_wait_seconds),
                mlflow_arn=mlflow_arn,
            ),
            log_retention=retention,
        )
        cleanup = CleanupPipeline(
            self, "Cleanup", cleanup_function=functions[fns.CLEANUP_EXPERIMENT], key=key, log_retention=retention
        )

        CfnOutput(self, stacks.BUCKET_OUTPUT, value=bucket.bucket_name)
        CfnOutput(self, stacks.SAGEMAKER_ROLE_OUTPUT, value=sagemaker.role.role_arn)
        CfnOutput(self, stacks.TRAINING_STATE_MACHINE_OUTPUT, value=training.state_machine.state_machine_arn)
        CfnOutput(self, stacks.CLEANUP_STATE_MACHINE_OUTPUT, value=cleanup.state_machine.state_machine_arn)
        CfnOutput(self, stacks.JOBS_IMAGE_OUTPUT, value=image_uri)
        # The trial limit ValidateInput enforces, so `ops start` checks the same number before starting.
        CfnOutput(self, stacks.MAX_TRIALS_OUTPUT, value=str(config.max_trials))


RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def _retention(days: int) -> logs.RetentionDays:
    if days not in RETENTION:
        raise ValueError(f"context key 'logRetentionDays' must be one of {sorted(RETENTION)}, got {days}")
    return RETENTION[days]
