"""`AWS::StepFunctions::StateMachine` from CloudFormation, created in the backend that executes it."""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.stepfunctions import responses
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.utils import cfn_to_api_tags


class ExecutingStateMachine(StateMachine, CloudFormationModel):
    """moto's StateMachine resource with its CloudFormation handlers writing to the serving backend.

    moto's own handlers write to the plain `stepfunctions_backends`, so a state machine a stack
    creates is unknown to the executing backend (execute_state_machine on) and its executions never
    run. These are moto's handlers, unchanged but for the backend, which is the one the Step Functions
    API answers from (`responses.get_backend`). Listing CloudFormationModel among the bases makes
    this class one of the resource types moto's CloudFormation finds (local_cloud/plug.py).
    """

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> StateMachine:
        properties = cloudformation_json["Properties"]
        name = properties.get("StateMachineName", resource_name)
        definition = properties.get("DefinitionString", "")
        role_arn = properties.get("RoleArn", "")
        backend = responses.get_backend(account_id, region_name)
        return backend.create_state_machine(name, definition, role_arn, tags=_api_tags(properties))

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        responses.get_backend(account_id, region_name).delete_state_machine(resource_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> StateMachine:
        properties = cloudformation_json.get("Properties", {})
        name = properties.get("StateMachineName", original_resource.name)
        if name != original_resource.name:  # a new name replaces the state machine
            cloudformation_json["Properties"] = original_resource.get_cfn_properties(properties)
            new_resource = cls.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)
            cls.delete_from_cloudformation_json(original_resource.arn, cloudformation_json, account_id, region_name)
            return new_resource
        backend = responses.get_backend(account_id, region_name)
        state_machine = backend.update_state_machine(
            original_resource.arn, definition=properties.get("DefinitionString"), role_arn=properties.get("RoleArn")
        )
        backend.tagger.tag_resource(state_machine.arn, _api_tags(properties))
        return state_machine


def _api_tags(properties: dict) -> list[dict]:
    """CloudFormation's [{"Key", "Value"}] tags as the Step Functions API's [{"key", "value"}]."""
    return cfn_to_api_tags(properties.get("Tags", []))
