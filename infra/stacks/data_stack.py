"""The stateful stack: the key, the bucket and the jobs repository, all retained on deletion."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from contract import stacks
from infra.constructs.artifact_store import ArtifactStore
from infra.constructs.jobs_repository import JobsRepository


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

        CfnOutput(self, stacks.BUCKET_OUTPUT, value=self.bucket.bucket_name)
        CfnOutput(self, stacks.KEY_ARN_OUTPUT, value=self.key.key_arn)
        CfnOutput(self, stacks.REPOSITORY_NAME_OUTPUT, value=self.repository.repository_name)
        CfnOutput(self, stacks.REPOSITORY_URI_OUTPUT, value=self.repository.repository_uri)
