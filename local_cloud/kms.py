"""`AWS::KMS::Key` from CloudFormation with tags: moto 5.2.5 loses such a key; this resource type keeps it."""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.kms.models import Key


class TaggedKey(Key, CloudFormationModel):
    """moto's Key resource, its CloudFormation tags converted first.

    moto hands CloudFormation's {"Key", "Value"} tags to a tagger that wants TagKey/TagValue
    (KeyError: 'TagKey'), and the key is silently missing from the stack. Listing
    CloudFormationModel among the bases makes this class the resource type moto's CloudFormation
    finds for AWS::KMS::Key (local_cloud/plug.py).
    """

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Key:
        properties = cloudformation_json.get("Properties", {})
        if properties.get("Tags"):
            properties = {
                **properties,
                "Tags": [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties["Tags"]],
            }
            cloudformation_json = {**cloudformation_json, "Properties": properties}
        return super().create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
