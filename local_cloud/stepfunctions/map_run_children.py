"""A Distributed Map's items as child executions, as Step Functions runs them, and the Map Run's failure threshold.

Step Functions: "In Distributed mode, the Map state processes the items in the dataset in iterations
called child workflow executions. ... Each child workflow execution has its own, separate execution
history from that of the parent workflow" (developer guide, "Using Map state in Distributed mode").
moto 5.2.5 runs each item in a worker thread of the parent's execution, with every child's events sent
to one throwaway EventManager, and no record of the child. Here each item is a ChildExecution: its own
history (ExecutionStarted ... ExecutionSucceeded/Failed), status, input, output, error and cause, which
the local cloud's Step Functions API answers for (DescribeExecution, GetExecutionHistory,
ListExecutions(mapRunArn=...): local_cloud/stepfunctions/executions.py) and the ResultWriter exports
(SUCCEEDED_0.json and FAILED_0.json, local_cloud/stepfunctions/result_writer.py).

The Map Run then fails as DescribeMapRun documents its thresholds: "toleratedFailureCount - The maximum
number of failed child workflow executions before the Map Run fails", "toleratedFailurePercentage - The
maximum percentage of failed child workflow executions before the Map Run fails", with
States.ExceedToleratedFailureThreshold. (moto parses both and logs that they "currently have no effect".)
local_cloud/plug.py installs `eval_job` and `map_run` with the rest of the runtime.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field

from moto.stepfunctions.parser.api import (
    ExecutionFailedEventDetails,
    ExecutionStartedEventDetails,
    ExecutionSucceededEventDetails,
    HistoryEventType,
)
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import EvalTimeoutError
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext, EventManager
from moto.stepfunctions.parser.asl.eval.program_state import ProgramError, ProgramStopped
from moto.stepfunctions.parser.asl.eval.states import ItemData, MapData
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

EXCEEDED = StatesErrorNameType.StatesExceedToleratedFailureThreshold


def child_arns(map_run_arn: str, name: str) -> tuple[str, str]:
    """(execution ARN, state machine ARN) of a Map Run's child: the Map Run's state machine
    `<machine>/<label>`, as an execution (`arn:...:execution:<machine>/<label>:<name>`)."""
    head, _, _ = map_run_arn.rpartition(":")  # arn:aws:states:<region>:<account>:mapRun:<machine>/<label>
    return head.replace(":mapRun:", ":execution:", 1) + f":{name}", head.replace(":mapRun:", ":stateMachine:", 1)


@dataclass
class ChildExecution:
    """One item of a Map Run, run as its own execution."""

    map_run_arn: str
    index: int
    input: str
    name: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "RUNNING"
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    start_date: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    stop_date: dt.datetime | None = None
    events: EventManager = field(default_factory=EventManager)

    @property
    def execution_arn(self) -> str:
        return child_arns(self.map_run_arn, self.name)[0]

    @property
    def state_machine_arn(self) -> str:
        return child_arns(self.map_run_arn, self.name)[1]

    def list_item(self) -> dict:
        """ListExecutions' entry."""
        item = {
            "executionArn": self.execution_arn,
            "stateMachineArn": self.state_machine_arn,
            "name": self.name,
            "status": self.status,
            "startDate": self.start_date,
            "mapRunArn": self.map_run_arn,
        }
        if self.stop_date:
            item["stopDate"] = self.stop_date
        return item

    def describe(self) -> dict:
        """DescribeExecution's answer: the list entry, with the input and the output or error and cause."""
        described = self.list_item() | {"input": self.input, "inputDetails": {"included": True}}
        if self.output is not None:
            described |= {"output": self.output, "outputDetails": {"included": True}}
        if self.error is not None:
            described["error"] = self.error
        if self.cause is not None:
            described["cause"] = self.cause
        return described

    def result_record(self) -> dict:
        """Its record in the ResultWriter's SUCCEEDED_n.json or FAILED_n.json."""
        stamp = lambda d: d.isoformat(timespec="milliseconds").replace("+00:00", "Z")  # noqa: E731
        record = {
            "ExecutionArn": self.execution_arn,
            "Name": self.name,
            "StateMachineArn": self.state_machine_arn,
            "Status": self.status,
            "StartDate": stamp(self.start_date),
            "StopDate": stamp(self.stop_date or self.start_date),
            "Input": self.input,
            "InputDetails": {"Included": True},
        }
        if self.status == "SUCCEEDED":
            record |= {"Output": self.output, "OutputDetails": {"Included": True}}
        else:
            record |= {"Error": self.error, "Cause": self.cause}
        return record


_lock = threading.Lock()
_by_arn: dict[str, ChildExecution] = {}
_by_map_run: dict[str, list[ChildExecution]] = {}


def _register(child: ChildExecution) -> None:
    with _lock:
        _by_arn[child.execution_arn] = child
        _by_map_run.setdefault(child.map_run_arn, []).append(child)


def find(execution_arn: str) -> ChildExecution | None:
    with _lock:
        return _by_arn.get(execution_arn)


def children_of(map_run_arn: str) -> list[ChildExecution]:
    """The Map Run's children in item order."""
    with _lock:
        return sorted(_by_map_run.get(map_run_arn, []), key=lambda child: child.index)


def forget_all() -> None:
    """Drop every record (a test's moto reset; restore_moto)."""
    with _lock:
        _by_arn.clear()
        _by_map_run.clear()


def eval_job(self, env, job) -> None:
    """moto's DistributedItemProcessorWorker._eval_job (the same Map Run counts), with the item run as a
    child execution: its own EventManager and history context, its outcome kept in a ChildExecution."""
    record = self._map_run_record
    record.item_counter.total.count()
    record.item_counter.running.count()
    record.execution_counter.total.count()
    record.execution_counter.running.count()

    child = ChildExecution(map_run_arn=record.map_run_arn, index=job.job_index, input=to_json_str(job.job_input))
    _register(child)
    env.event_manager = child.events
    env.event_history_context = EventHistoryContext.of_program_start()
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.ExecutionStarted,
        event_details=EventDetails(
            executionStartedEventDetails=ExecutionStartedEventDetails(
                input=child.input,
                inputDetails={"truncated": False},
                roleArn=env.aws_execution_details.role_arn,
            )
        ),
    )
    job_output = None
    error: tuple[str | None, str | None] | None = None
    try:
        env.states.context_object.context_object_data["Map"] = MapData(
            Item=ItemData(Index=job.job_index, Value=job.job_input)
        )
        env.states.reset(job.job_input)
        env.stack.append(env.states.get_input())
        self._eval_input(env_frame=env)
        job.job_program.eval(env)
        end = env.program_state()
        if isinstance(end, ProgramError):
            details = end.error or {}
            error = (details.get("error"), details.get("cause"))
        elif isinstance(end, ProgramStopped):
            error = (end.error or "States.Aborted", end.cause)
            child.status = "ABORTED"
        else:
            job_output = env.states.get_input()
    except EvalTimeoutError:
        error, child.status = ("States.Timeout", "The child execution timed out"), "TIMED_OUT"
    except FailureEventException as failure:
        error = failure.extract_error_cause_pair() or ("States.Runtime", None)
    except Exception as exception:  # noqa: BLE001 - the interpreter's own failure: moto counts the item failed
        error = ("States.Runtime", str(exception))
    finally:
        record.item_counter.running.offset(-1)
        record.execution_counter.running.offset(-1)
        child.stop_date = dt.datetime.now(dt.UTC)
        if error is None:
            child.status, child.output = "SUCCEEDED", to_json_str(job_output)
            for counter in (record.item_counter, record.execution_counter):
                counter.succeeded.count()
                counter.results_written.count()
            env.event_manager.add_event(
                context=env.event_history_context,
                event_type=HistoryEventType.ExecutionSucceeded,
                event_details=EventDetails(
                    executionSucceededEventDetails=ExecutionSucceededEventDetails(
                        output=child.output, outputDetails={"truncated": False}
                    )
                ),
            )
        else:
            child.error, child.cause = error
            if child.status == "RUNNING":
                child.status = "FAILED"
            counted = {"FAILED": "failed", "ABORTED": "aborted", "TIMED_OUT": "timed_out"}[child.status]
            for counter in (record.item_counter, record.execution_counter):
                getattr(counter, counted).count()
            env.event_manager.add_event(
                context=env.event_history_context,
                event_type=HistoryEventType.ExecutionFailed,
                event_details=EventDetails(
                    executionFailedEventDetails=ExecutionFailedEventDetails(
                        **{k: v for k, v in (("error", child.error), ("cause", child.cause)) if v is not None}
                    )
                ),
            )
        # A failed child's output is None, as moto's: the Map's results are the ResultWriter's files.
        job.job_output = job_output


def map_run(original):
    """DistributedIterationComponent._map_run, then the Map Run's failure threshold over its children."""

    def run_then_check(self, env, eval_input) -> None:
        original(self, env, eval_input)
        children = children_of(eval_input.map_run_record.map_run_arn)
        failed = sum(child.status != "SUCCEEDED" for child in children)
        tolerated = (eval_input.tolerated_failure_count, eval_input.tolerated_failure_percentage)
        if failed and exceeds(failed, len(children), *tolerated):
            cause = (
                f"{failed} of {len(children)} child executions failed, more than the tolerated "
                f"{eval_input.tolerated_failure_count or 0} ({eval_input.tolerated_failure_percentage or 0}%)"
            )
            raise FailureEventException(
                failure_event=FailureEvent(
                    env=env,
                    error_name=StatesErrorName(typ=EXCEEDED),
                    event_type=HistoryEventType.ExecutionFailed,
                    event_details=EventDetails(
                        executionFailedEventDetails=ExecutionFailedEventDetails(error=EXCEEDED.to_name(), cause=cause)
                    ),
                )
            )

    return run_then_check


def exceeds(failed: int, total: int, tolerated_count: int | None, tolerated_percentage: float | None) -> bool:
    """Whether `failed` of `total` children fail the Map Run. Neither threshold set (moto gives 0 for an
    absent one): any failure does, as Step Functions' default tolerates none. Otherwise each threshold
    that is set fails it when passed. (A threshold declared 0 beside a non-zero one reads as unset: moto
    does not keep which were declared.)"""
    count, percentage = tolerated_count or 0, tolerated_percentage or 0
    if not count and not percentage:
        return failed > 0
    return bool(count and failed > count) or bool(percentage and total and failed * 100 / total > percentage)
