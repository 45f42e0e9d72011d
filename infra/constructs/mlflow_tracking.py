"""SageMaker managed MLflow: an MLflow App whose artifact store is the bucket's mlflow/ prefix, and its grants.

An App rather than a tracking server, by what each costs while idle: a tracking server is an
instance of a chosen size (Small, Medium, Large), billed for every hour from creation until it is
stopped (StopMlflowTrackingServer) or deleted, sweeps or none; an App is serverless, with no size to
choose and no instance to stop between sweeps (see the README, "MLflow tracking", for the sources).
Both speak the same MLflow REST API and both are what MlflowConfig names (mlflow-app/* or
mlflow-tracking-server/* ARNs).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from contract import tracking
from infra.constructs.artifact_store import RETAINED


class MlflowTracking(Construct):
    """`arn`: the App's ARN; `grant_tracking(grantee)`: what a client needs to log runs and read them back."""

    def __init__(self, scope: Construct, id: str, *, name: str, bucket: s3.IBucket, key: kms.IKey) -> None:
        super().__init__(scope, id)
        # The App's own role, for its artifact store only: CreateMlflowApp RoleArn "for an IAM role in
        # your account that the MLflow App uses to access the artifact store in Amazon S3" (the API
        # reference suggests AmazonS3FullAccess; the mlflow/ prefix and the bucket key are enough).
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="The MLflow App's access to its artifact store (the bucket's mlflow/ prefix)",
        )
        bucket.grant_read_write(self.role, f"{tracking.ARTIFACTS_PREFIX}*")
        key.grant_encrypt_decrypt(self.role)
        self.app = sagemaker.CfnMlflowApp(
            self,
            "App",
            name=name,
            artifact_store_uri=bucket.s3_url_for_object(tracking.ARTIFACTS_PREFIX),
            role_arn=self.role.role_arn,
            # The best trial's model is a SageMaker model already (CreateModel); no second registry.
            model_registration_mode="AutoModelRegistrationDisabled",
        )
        self.app.node.add_dependency(self.role)
        # Its runs are records like the bucket's: kept when the stack goes (the bucket's own policy).
        self.app.apply_removal_policy(RETAINED)
        self.arn = self.app.attr_arn
        stack = Stack.of(self)
        self.ui_url = tracking.app_endpoint(stack.region)

    def grant_tracking(self, grantee: iam.IGrantable) -> None:
        grant_tracking(grantee, self.arn)


def grant_tracking(grantee: iam.IGrantable, app_arn: str) -> None:
    """An App's data plane is one action: sagemaker:CallMlflowAppApi on the App authorizes its whole
    REST API (experiments, runs, metrics, deletes); the requests are SigV4-signed for "sagemaker"."""
    iam.Grant.add_to_principal(grantee=grantee, actions=["sagemaker:CallMlflowAppApi"], resource_arns=[app_arn])
