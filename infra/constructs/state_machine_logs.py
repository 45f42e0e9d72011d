"""A state machine with execution logging at level ALL to an encrypted log group, and X-Ray."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct


def logged_state_machine(
    scope: Construct,
    id: str,
    *,
    definition: sfn.IChainable,
    key: kms.IKey,
    log_retention: logs.RetentionDays,
    timeout: Duration,
    comment: str,
) -> sfn.StateMachine:
    log_group = logs.LogGroup(
        scope,
        f"{id}Logs",
        # The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy small.
        log_group_name=f"/aws/vendedlogs/states/{scope.node.path.replace('/', '-')}-{id}",
        retention=log_retention,
        encryption_key=key,
        removal_policy=RemovalPolicy.DESTROY,
    )
    return sfn.StateMachine(
        scope,
        id,
        comment=comment,
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        query_language=sfn.QueryLanguage.JSON_PATH,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        tracing_enabled=True,
        timeout=timeout,
    )
