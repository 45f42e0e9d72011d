"""The ECR repository that holds the jobs image, and the right for `cdk deploy` to push to it."""

from __future__ import annotations

from aws_cdk import DefaultStackSynthesizer, Fn, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

IMAGES_KEPT = 20


class JobsRepository(Construct):
    """Explicitly named (the pipeline stack's asset synthesizer targets it), scanned, immutable."""

    def __init__(self, scope: Construct, id: str, *, repository_name: str, key: kms.IKey) -> None:
        super().__init__(scope, id)
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=repository_name,
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=key,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    description=f"Keep the {IMAGES_KEPT} newest images",
                    max_image_count=IMAGES_KEPT,
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        # `cdk deploy` publishes the jobs image with the bootstrap image-publishing role; that
        # role's own policy only covers the bootstrap repository, so this repository lets it push.
        # The role itself is the principal: a statement naming the account root (even with an
        # aws:PrincipalArn condition) only delegates to IAM policies, which this role lacks here.
        publishing_role = Fn.sub(
            DefaultStackSynthesizer.DEFAULT_IMAGE_ASSET_PUBLISHING_ROLE_ARN,
            {"Qualifier": DefaultStackSynthesizer.DEFAULT_QUALIFIER},
        )
        self.repository.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CdkImagePublishing",
                principals=[iam.ArnPrincipal(publishing_role)],
                actions=[
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:CompleteLayerUpload",
                    "ecr:DescribeImages",
                    "ecr:DescribeRepositories",
                    "ecr:InitiateLayerUpload",
                    "ecr:PutImage",
                    "ecr:UploadLayerPart",
                ],
            )
        )
