"""The cleanup state machine: calls the cleanup function again until it reports done."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.constructs.state_machine_logs import logged_state_machine

PAUSE_BETWEEN_PASSES = Duration.seconds(5)


class CleanupPipeline(Construct):
    """Input `{"experimentName": ..., "keepComponents": false}`; each pass resumes the last one."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cleanup_function: lambda_.IFunction,
        key: kms.IKey,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, id)
        # The function's output (counts so far, done or not) is the next pass's input.
        delete_records = tasks.LambdaInvoke(
            self,
            "DeleteRecords",
            lambda_function=cleanup_function,
            payload=sfn.TaskInput.from_json_path_at("$"),
            output_path="$.Payload",
        )
        finished = sfn.Succeed(self, "Deleted")
        # A pass that stopped because the API throttled or still held a record must not be
        # re-run at once: a hot loop adds to the throttling and can run the execution into the
        # 25,000-event history limit. The pause costs nothing next to a full pass (minutes).
        pause = sfn.Wait(self, "PauseBetweenPasses", time=sfn.WaitTime.duration(PAUSE_BETWEEN_PASSES))
        delete_records.next(
            sfn.Choice(self, "Done?")
            .when(sfn.Condition.boolean_equals("$.done", True), finished)
            .otherwise(pause.next(delete_records))
        )
        self.state_machine = logged_state_machine(
            self,
            "StateMachine",
            definition=delete_records,
            key=key,
            log_retention=log_retention,
            timeout=Duration.hours(6),
            comment="Deletes an experiment's records in the order the SageMaker API demands",
        )
