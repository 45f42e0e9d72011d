"""The cleanup state machine: calls the cleanup function again until it reports done."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from contract import errors, states
from infra.constructs.functions import retry_throttling
from infra.constructs.state_machine_logs import logged_state_machine

# A pass that made progress is followed by the next one at once; one that made none (throttled
# beyond the client's retries, or refused: a record still in use) asks for a wait in its output
# (`waitSeconds`: 2, 4, 8 ... at most 60 s, lambdas/cleanup_experiment/cleanup.py).
#
# The loop is bounded so that it ends in a named error, CleanupIncomplete, long before the
# execution history limit ("Maximum execution history size: 25,000 events", Step Functions
# quotas). A pass writes at most EVENTS_PER_PASS events: the task's 5 (entered, scheduled,
# started, succeeded, exited), 3 more per retried attempt (failed, scheduled, started), the
# choice's 2 and the wait's 2. tests/infra/test_state_machines.py checks the bound against the
# synthesized definition's retriers.
MAX_PASSES = 120
MAX_PASSES_WITHOUT_PROGRESS = 10
# A function killed by its timeout (or a crash of its sandbox) reaches Step Functions as
# Lambda.Unknown ("Task timed out after 300.01 seconds") or Sandbox.Timedout. The pass is crash-safe
# (its records stay findable), so the same input is simply run again.
FUNCTION_KILLED_ERRORS = ["Lambda.Unknown", "Sandbox.Timedout"]
KILLED_RETRY_ATTEMPTS = 2
INCOMPLETE_ERROR = errors.CLEANUP_INCOMPLETE


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
            states.DELETE_RECORDS,
            lambda_function=cleanup_function,
            payload=sfn.TaskInput.from_json_path_at("$"),
            output_path="$.Payload",
        )
        delete_records.add_retry(
            errors=FUNCTION_KILLED_ERRORS,
            interval=Duration.seconds(2),
            max_attempts=KILLED_RETRY_ATTEMPTS,
            backoff_rate=2,
        )
        retry_throttling(delete_records)
        finished = sfn.Succeed(self, states.DELETED)
        incomplete = sfn.Fail(
            self,
            INCOMPLETE_ERROR,
            error=INCOMPLETE_ERROR,
            cause_path=(
                "States.Format('cleanup of {} not finished after {} passes, {} in a row without progress; "
                "left: {} trials, {} trial components', $.experimentName, $.passes, $.deferredPasses, "
                "$.left.trials, $.left.trialComponents)"
            ),
        )
        back_off = sfn.Wait(self, states.BACK_OFF, time=sfn.WaitTime.seconds_path("$.waitSeconds"))
        delete_records.next(
            sfn.Choice(self, states.CLEANUP_DONE_CHOICE)
            .when(sfn.Condition.boolean_equals("$.done", True), finished)
            .when(
                sfn.Condition.or_(
                    sfn.Condition.number_greater_than_equals("$.passes", MAX_PASSES),
                    sfn.Condition.number_greater_than_equals("$.deferredPasses", MAX_PASSES_WITHOUT_PROGRESS),
                ),
                incomplete,
            )
            .when(sfn.Condition.number_greater_than("$.waitSeconds", 0), back_off.next(delete_records))
            .otherwise(delete_records)
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
