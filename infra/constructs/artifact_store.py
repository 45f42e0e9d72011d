"""The encrypted, versioned, access-logged S3 bucket for datasets and run outputs, and its key."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

# Kept on stack deletion and replacement, but deleted when the stack operation that created them is
# rolled back: "RetainExceptOnCreate behaves like Retain for stack operations, except for the stack
# operation that initially created the resource. If the stack operation that created the resource
# is rolled back, CloudFormation deletes the resource." (CDK API reference, CfnDeletionPolicy.)
# With plain Retain a failed first deploy leaves the named bucket behind, and every retry fails
# with "already exists". Renders DeletionPolicy RetainExceptOnCreate, UpdateReplacePolicy Retain.
RETAINED = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE


class ArtifactStore(Construct):
    """A customer-managed KMS key (rotated) and the bucket it encrypts, both retained (RETAINED)."""

    def __init__(self, scope: Construct, id: str, *, bucket_name: str, noncurrent_version_expiration_days: int) -> None:
        super().__init__(scope, id)

        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the experiments bucket, repository, job volumes and logs",
            enable_key_rotation=True,
            removal_policy=RETAINED,
        )
        # Encrypted log groups (state machines, Lambdas) need the Logs service on the key.
        log_groups = f"arn:{Stack.of(self).partition}:logs:*:{Stack.of(self).account}:log-group:*"
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("logs.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            )
        )

        expire_old_versions = s3.LifecycleRule(
            id="ExpireNoncurrentVersions",
            noncurrent_version_expiration=Duration.days(noncurrent_version_expiration_days),
            abort_incomplete_multipart_upload_after=Duration.days(7),
        )
        # Server access logs cannot be delivered to an SSE-KMS bucket, so the log bucket uses
        # SSE-S3; it is otherwise locked down like the main bucket.
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[expire_old_versions],
            removal_policy=RETAINED,
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="bucket/",
            lifecycle_rules=[expire_old_versions],
            removal_policy=RETAINED,
        )
