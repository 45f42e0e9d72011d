"""The ECR repository that holds the jobs image, and the right for `cdk deploy` to push to it."""

from __future__ import annotations

from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.constructs.artifact_store import RETAINED

IMAGES_KEPT = 20


class JobsRepository(Construct):
    """Explicitly named (the pipeline stack's asset synthesizer targets it), scanned, immutable."""

    def __init__(
        self, scope: Construct, id: str, *, repository_name: str, key: kms.IKey, image_publishing_role_arn: str
    ) -> None:
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
            # Retained, except when the deploy that created it rolls back (see artifact_store.RETAINED):
            # the repository is named, so a leftover one would fail every retry with "already exists".
            removal_policy=RETAINED,
        )
        # `cdk deploy` publishes the jobs image with the bootstrap image-publishing role; that
        # role's own policy only covers the bootstrap repository, so this repository lets it push.
        # The role itself is the principal: a statement naming the account root (even with an
        # aws:PrincipalArn condition) only delegates to IAM policies, which this role lacks here.
        # The ARN comes from the app (infra/app.py), with the bootstrap qualifier the synthesizers
        # use: a policy naming a role that does not exist fails the repository's creation.
        self.repository.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CdkImagePublishing",
                principals=[iam.ArnPrincipal(image_publishing_role_arn)],
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
