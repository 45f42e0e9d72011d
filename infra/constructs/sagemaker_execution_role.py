"""The role SageMaker jobs run as: the bucket's prefixes, the jobs image, job logs and metrics."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

import contract


class SageMakerExecutionRole(Construct):
    """Least privilege: no managed policies; S3 scoped to datasets/ (read) and runs/ (read-write)."""

    def __init__(
        self, scope: Construct, id: str, *, bucket: s3.IBucket, key: kms.IKey, repository: ecr.IRepository
    ) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Runs the experiments' processing, training and transform jobs",
        )
        bucket.grant_read(self.role, f"{contract.DATASETS_PREFIX}*")
        bucket.grant_read_write(self.role, f"{contract.RUNS_PREFIX}*")
        key.grant_encrypt_decrypt(self.role)  # job volumes and outputs are encrypted with it
        repository.grant_pull(self.role)
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="JobLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:/aws/sagemaker/*"],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="JobMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],  # PutMetricData has no resource-level permissions
                conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
            )
        )
