"""The stateful stack: the key, the bucket, the jobs repository (retained on deletion) and the MLflow App."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from contract import stacks
from infra.constructs.artifact_store import ArtifactStore
from infra.constructs.jobs_repository import JobsRepository
from infra.constructs.mlflow_tracking import MlflowTracking


class DataStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str,
        repository_name: str,
        noncurrent_version_expiration_days: int,
        image_publishing_role_arn: str,
        mlflow_app_name: str | None,
        **kwargs,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        store = ArtifactStore(
            self,
            "Artifacts",
            bucket_name=bucket_name,
            noncurrent_version_expiration_days=noncurrent_version_expiration_days,
        )
        jobs = JobsRepository(
            self,
            "Jobs",
            repository_name=repository_name,
            key=store.key,
            image_publishing_role_arn=image_publishing_role_arn,
        )
        self.bucket = store.bucket
        self.key = store.key
        self.repository = jobs.repository
        # SageMaker managed MLflow (context mlflowTracking): None when off.
        self.mlflow = (
            MlflowTracking(self, "Mlflow", name=mlflow_app_name, bucket=self.bucket, key=self.key)
            if mlflow_app_name
            else None
        )

        CfnOutput(self, stacks.BUCKET_OUTPUT, value=self.bucket.bucket_name)
        CfnOutput(self, stacks.KEY_ARN_OUTPUT, value=self.key.key_arn)
        CfnOutput(self, stacks.REPOSITORY_NAME_OUTPUT, value=self.repository.repository_name)
        CfnOutput(self, stacks.REPOSITORY_URI_OUTPUT, value=self.repository.repository_uri)
        if self.mlflow:
            CfnOutput(self, stacks.MLFLOW_ARN_OUTPUT, value=self.mlflow.arn)
            CfnOutput(
                self,
                stacks.MLFLOW_UI_OUTPUT,
                value=self.mlflow.ui_url,
                description="The App's endpoint; its UI opens through a presigned URL: python -m ops mlflow-ui",
            )
