"""`AWS::SageMaker::MlflowApp` from CloudFormation, and the App actions of the SageMaker API, on the local cloud.

moto 5.2.5 has no MLflow resource: a stack with one would lose it (moto skips an unknown type, and
its Fn::GetAtt then fails). This resource type keeps the App, with an ARN of the App's form
(arn:aws:sagemaker:<region>:<account>:mlflow-app/app-<id>), whose data plane is the local MLflow
server. DescribeMlflowApp and CreatePresignedMlflowAppUrl answer for it, as `ops mlflow-ui` asks AWS.
"""

from __future__ import annotations

import os
import random
import string
from datetime import UTC, datetime
from typing import Any

from moto.core.common_models import CloudFormationModel

from local_cloud.mlflow.server import URL_ENV

MLFLOW_VERSION = "3.18.0"  # requirements-mlflow.txt
APPS: dict[str, LocalMlflowApp] = {}  # by ARN, in the server process


class LocalMlflowApp(CloudFormationModel):
    def __init__(self, name: str, properties: dict, account_id: str, region_name: str) -> None:
        self.name = name
        self.app_id = "app-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=12))
        self.arn = f"arn:aws:sagemaker:{region_name}:{account_id}:mlflow-app/{self.app_id}"
        self.artifact_store_uri = properties.get("ArtifactStoreUri", "")
        self.role_arn = properties.get("RoleArn", "")
        self.model_registration_mode = properties.get("ModelRegistrationMode", "AutoModelRegistrationDisabled")
        self.created = datetime.now(UTC)

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SageMaker::MlflowApp"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "MlflowAppId", "MlflowVersion", "Status", "CreationTime", "LastModifiedTime")

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return {
            "Arn": self.arn,
            "MlflowAppId": self.app_id,
            "MlflowVersion": MLFLOW_VERSION,
            "Status": "Created",
            "CreationTime": self.created.isoformat(),
            "LastModifiedTime": self.created.isoformat(),
        }[attribute_name]

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> LocalMlflowApp:
        properties = cloudformation_json.get("Properties", {})
        app = cls(properties.get("Name", resource_name), properties, account_id, region_name)
        APPS[app.arn] = app
        return app

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        APPS.pop(resource_name, None)

    def describe(self) -> dict:
        """DescribeMlflowApp's answer."""
        return {
            "Arn": self.arn,
            "Name": self.name,
            "ArtifactStoreUri": self.artifact_store_uri,
            "MlflowVersion": MLFLOW_VERSION,
            "RoleArn": self.role_arn,
            "Status": "Created",
            "ModelRegistrationMode": self.model_registration_mode,
            "CreationTime": self.created.timestamp(),
            "LastModifiedTime": self.created.timestamp(),
        }


def local_ui_url() -> str:
    """The local MLflow server's UI: needs no presigning (it has no authentication)."""
    return os.environ.get(URL_ENV, "")
