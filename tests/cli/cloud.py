"""The synthesized project deployed in moto, its Lambdas run in-process, its SageMaker jobs finished at once.

`deploy` creates one moto Lambda function per synthesized function (contract.functions), the
training and cleanup state machines from the synthesized definitions (tokens replaced by the moto
ARNs), and the two stacks with the outputs of contract.stacks, as `cdk deploy` leaves them.

The edge is stubbed through the local cloud's `LocalRuntime` (local_cloud/plug.py `use_runtime`):
`InProcessLambdas` runs each invoked function's real handler in this process (its SDK calls reach
moto), and `InstantJobs` ends each SageMaker job of a `.sync` task at once with a Describe*Job
result shaped as SageMaker's: the processing job writes the stats the recording Lambda reads, a
training job reports test:accuracy by its hidden_channels (or fails for a chosen hyperparameter),
the transform job completes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import os
import re
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

import contract
from contract import stacks, states
from local_cloud.awslambda.runtime import FunctionPackage, Invocation
from local_cloud.run_logs import lambda_log_dir
from local_cloud.sagemaker.job_run import JobContext, JobRun
from ops.sweep_outcomes import outcomes_of
from tests import sweep_output
from tests.cli.synthesized import CLEANUP_MACHINE, TRAINING_MACHINE, SynthesizedApp

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
BUCKET = f"sagemaker-experiments-{ACCOUNT}-{REGION}"
DATASET = f"s3://{BUCKET}/{contract.DEFAULT_DATASET_KEY}"
MISSING_DATASET = f"s3://{BUCKET}/{contract.DATASETS_PREFIX}missing/"  # no files: preprocessing fails
SAGEMAKER_ROLE = f"arn:{PARTITION}:iam::{ACCOUNT}:role/ExperimentsPipeline-SageMakerRole"
KEY_ARN = f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"

# What the stubbed jobs report. test:accuracy by hidden_channels (others: DEFAULT_ACCURACY); a
# training job whose hyperparameters hold one of FAILING_HYPERPARAMETERS fails with FAILURE_REASON.
ACCURACY = {"2": 91.25, "5": 95.5, "10": 97.1, "20": 97.9}
DEFAULT_ACCURACY = 93.0
FAILING_HYPERPARAMETERS = {"hidden_channels": "32", "kernel_size": "7"}
FAILURE_REASON = "AlgorithmError: ExecuteUserScriptError: CUDA out of memory"
# A training job whose hidden_channels is in InstantJobs.fail_once fails once with this reason, then trains.
CAPACITY_REASON = (
    "CapacityError: Unable to provision requested ML compute capacity. Please retry using a different ML instance type."
)
STATS = {"normalization_mean": 0.1307, "normalization_std": 0.3081}


def preprocessing_failure(dataset_uri: str) -> str:
    return f"ClientError: no MNIST files under {dataset_uri}"


def loss_of(accuracy: float) -> float:
    return round(0.5 - accuracy / 200, 4)  # falls as accuracy rises


# --- the deployment ----------------------------------------------------------------------------------


@dataclass
class Deployment:
    outputs: dict[str, str]
    function_names: dict[str, str]  # contract function name -> deployed function name
    training_definition: dict = field(repr=False, default_factory=dict)  # as created (tokens resolved)

    def __getitem__(self, output: str) -> str:
        return self.outputs[output]


def resolve(value, tokens: dict[str, str]):
    """The definition (or any JSON value) with each ${Token} replaced; an unknown token is an error,
    so a new reference in the stacks shows here rather than as a broken execution."""

    def replace(match: re.Match) -> str:
        token = match.group(1)
        if token in tokens:
            return tokens[token]
        if token.startswith("ImportValue(") and "ArtifactsKey" in token:
            return KEY_ARN
        raise KeyError(f"no value for the synthesized token ${{{token}}}")

    return json.loads(re.sub(r"\$\{([^}]+)\}", replace, json.dumps(value)))


def deploy(
    app: SynthesizedApp,
    prefix: str = stacks.DEFAULT_STACK_PREFIX,
    *,
    max_trials: int | None = None,
    training_definition: dict | None = None,
    cleanup_definition: dict | None = None,
) -> Deployment:
    """The synthesized stacks in moto; `max_trials` as a deployment with that maxTrials context;
    `training_definition`, `cleanup_definition` (tokens unresolved) instead of the synthesized ones."""
    pipeline = stacks.pipeline_stack_name(prefix)
    tokens = {
        "AWS::Partition": PARTITION,
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::URLSuffix": "amazonaws.com",
    }
    s3 = boto3.client("s3", region_name=REGION)
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=BUCKET)
    # The sample dataset the local cloud uploads (what preprocessing reads).
    s3.put_object(Bucket=BUCKET, Key=f"{contract.DEFAULT_DATASET_KEY}train-images-idx3-ubyte.gz", Body=b"digits")

    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(
        RoleName=f"{pipeline}-FunctionsRole",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
                ],
            }
        ),
    )["Role"]["Arn"]
    lambda_client = boto3.client("lambda", region_name=REGION)
    function_names = {}
    for function in app.functions:
        name = f"{pipeline}-{function.logical_id[:-8]}"  # the logical id without CDK's hash
        environment = resolve(function.environment, tokens)
        if max_trials is not None:
            environment["MAX_TRIALS"] = str(max_trials)
        arn = lambda_client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler=function.handler,
            Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},  # never unpacked: InProcessLambdas runs the tree's code
            Environment={"Variables": environment},
            Timeout=function.timeout_s,
            MemorySize=function.memory_mb,
        )["FunctionArn"]
        tokens[f"{function.logical_id}.Arn"] = arn
        function_names[function.contract_function.name] = name
    for lid, group in app.log_group_names.items():
        if group:
            tokens[f"{lid}.Arn"] = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"
    tokens.update({lid + ".Arn": SAGEMAKER_ROLE for lid in _sagemaker_role_ids(app)})

    stepfunctions = boto3.client("stepfunctions", region_name=REGION)
    machines = {}
    definition = resolve(training_definition or app.training, tokens)
    for logical_prefix, definition_of, output in (
        (TRAINING_MACHINE, definition, stacks.TRAINING_STATE_MACHINE_OUTPUT),
        (CLEANUP_MACHINE, resolve(cleanup_definition or app.cleanup, tokens), stacks.CLEANUP_STATE_MACHINE_OUTPUT),
    ):
        machines[output] = stepfunctions.create_state_machine(
            name=f"{pipeline}-{logical_prefix}",
            definition=json.dumps(definition_of),
            roleArn=f"arn:{PARTITION}:iam::{ACCOUNT}:role/{pipeline}-{logical_prefix}Role",
            loggingConfiguration=_api_logging(resolve(app.logging[logical_prefix], tokens)),
        )["stateMachineArn"]

    cloudformation = boto3.client("cloudformation", region_name=REGION)
    data = {
        "Resources": {"Key": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {stacks.BUCKET_OUTPUT: {"Value": BUCKET}, stacks.KEY_ARN_OUTPUT: {"Value": KEY_ARN}},
    }
    outputs = {
        **machines,
        stacks.BUCKET_OUTPUT: BUCKET,
        stacks.SAGEMAKER_ROLE_OUTPUT: SAGEMAKER_ROLE,
        stacks.JOBS_IMAGE_OUTPUT: f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/sagemaker-experiments-jobs:local",
        stacks.MAX_TRIALS_OUTPUT: str(max_trials) if max_trials is not None else app.max_trials,
    }
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},  # the resources are created above
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    cloudformation.create_stack(StackName=stacks.data_stack_name(prefix), TemplateBody=json.dumps(data))
    cloudformation.create_stack(StackName=pipeline, TemplateBody=json.dumps(template))
    stack = cloudformation.describe_stacks(StackName=pipeline)["Stacks"][0]
    return Deployment(
        outputs={o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]},
        function_names=function_names,
        training_definition=definition,
    )


def _sagemaker_role_ids(app: SynthesizedApp) -> set[str]:
    text = json.dumps(app.training)
    return set(re.findall(r"\$\{(SageMakerRole\w*)\.Arn\}", text))


def _api_logging(config: dict) -> dict:
    """CloudFormation's LoggingConfiguration as the Step Functions API's (camelCase keys)."""
    return {
        "level": config["Level"],
        "includeExecutionData": config.get("IncludeExecutionData", False),
        "destinations": [
            {"cloudWatchLogsLogGroup": {"logGroupArn": d["CloudWatchLogsLogGroup"]["LogGroupArn"]}}
            for d in config.get("Destinations", [])
        ],
    }


# --- executions --------------------------------------------------------------------------------------


def wait_for(execution_arn: str, timeout_s: float = 60) -> dict:
    """DescribeExecution once the execution has ended (moto runs it on a thread of its own)."""
    stepfunctions = boto3.client("stepfunctions", region_name=REGION)
    deadline = time.monotonic() + timeout_s
    while True:
        description = stepfunctions.describe_execution(executionArn=execution_arn)
        if description["status"] != "RUNNING":
            return description
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} still RUNNING after {timeout_s} s")
        time.sleep(0.05)


def executions(deployment: Deployment) -> list[dict]:
    """ListExecutions of the training state machine (newest first)."""
    stepfunctions = boto3.client("stepfunctions", region_name=REGION)
    return stepfunctions.list_executions(stateMachineArn=deployment[stacks.TRAINING_STATE_MACHINE_OUTPUT])["executions"]


def execution_arn(deployment: Deployment, name: str) -> str:
    machine = deployment[stacks.TRAINING_STATE_MACHINE_OUTPUT]
    return machine.replace(":stateMachine:", ":execution:") + f":{name}"


def run_training(deployment: Deployment, execution_input: dict, name: str | None = None) -> dict:
    """One execution of the training state machine, to its end: DescribeExecution."""
    stepfunctions = boto3.client("stepfunctions", region_name=REGION)
    arn = stepfunctions.start_execution(
        stateMachineArn=deployment[stacks.TRAINING_STATE_MACHINE_OUTPUT],
        name=name or f"run-{uuid.uuid4().hex[:8]}",
        input=json.dumps(execution_input),
    )["executionArn"]
    return wait_for(arn)


def end_running_executions(timeout_s: float = 30) -> None:
    """Every execution still running is stopped and its threads joined before moto is reset (a
    thread left running would write into the next test's moto, or reach for real AWS)."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    # A test may have left the SDK without credentials, region or a usable endpoint or profile.
    stepfunctions = boto3.session.Session(
        botocore_session=_plain_botocore_session(),
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name=REGION,
    ).client("stepfunctions", endpoint_url=f"https://states.{REGION}.amazonaws.com")
    # moto makes a backend the first time an account is used with botocore's Session(), which reads
    # AWS_PROFILE: a test's missing profile would fail the teardown (ProfileNotFound), so it is left out.
    profile = os.environ.pop("AWS_PROFILE", None)
    try:
        for machine in stepfunctions.list_state_machines()["stateMachines"]:
            for execution in stepfunctions.list_executions(
                stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING"
            )["executions"]:
                _stop(stepfunctions, execution["executionArn"], timeout_s)
    finally:
        if profile is not None:
            os.environ["AWS_PROFILE"] = profile
    deadline = time.monotonic() + timeout_s
    for thread in list(TMP_THREADS):
        thread.join(max(0.0, deadline - time.monotonic()))
    TMP_THREADS[:] = [thread for thread in TMP_THREADS if thread.is_alive()]


def _plain_botocore_session():
    """A botocore session that reads no profile or config file of the environment."""
    import botocore.session

    session = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    session.set_config_variable("config_file", "/dev/null")
    session.set_config_variable("credentials_file", "/dev/null")
    return session


def _stop(stepfunctions, execution_arn: str, timeout_s: float) -> None:
    # moto cannot stop an execution whose worker has not yet set up (AttributeError): again, shortly.
    # A stopped execution ends once its current state returns (a Lambda call, a job): poll, not spin,
    # so that the state's thread gets the interpreter to finish.
    deadline = time.monotonic() + timeout_s
    while stepfunctions.describe_execution(executionArn=execution_arn)["status"] == "RUNNING":
        try:
            stepfunctions.stop_execution(executionArn=execution_arn, cause="the test ended")
        except (ClientError, AttributeError):
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} still RUNNING {timeout_s} s after StopExecution")
        time.sleep(0.05)


def renamed_state(definition: dict, old: str, new: str) -> dict:
    """The definition with state `old` named `new` (its key and every Next/Default/StartAt to it)."""
    text = json.dumps(definition)
    return json.loads(text.replace(f'"{old}"', f'"{new}"'))


# --- Lambda: the real handlers, in this process --------------------------------------------------------

_ENVIRONMENT_LOCK = threading.Lock()  # a handler reads os.environ: one invocation at a time


class InProcessContext:
    """Lambda's context object; its clock can be sped up (`seconds_per_read`) to end a pass early."""

    def __init__(self, function: FunctionPackage, request_id: str, seconds_per_read: float) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = request_id
        self.identity = None
        self.client_context = None
        self._timeout_ms = function.timeout_s * 1000
        self._reads = 0
        self._seconds_per_read = seconds_per_read
        self._started = time.monotonic()

    def get_remaining_time_in_millis(self) -> int:
        self._reads += 1
        spent = (time.monotonic() - self._started) + self._reads * self._seconds_per_read
        return max(0, int(self._timeout_ms - spent * 1000))


def access_denied(action: str) -> ClientError:
    """The error an Experiments call answers when the function's role lacks the permission."""
    return ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": f"not authorized to perform: sagemaker:{action}"}},
        action,
    )


class InProcessLambdas:
    """LocalRuntime's `lambdas`: the function's handler (lambdas.<name>.handler) called here with its
    environment, an error returned as Lambda's runtime returns it ({"errorType", "errorMessage", ...})."""

    def __init__(self, run_dir: Path, endpoint_url: str | None = None) -> None:
        self.run_dir = run_dir
        self.endpoint_url = endpoint_url
        # contract function name -> seconds each context.get_remaining_time_in_millis() call spends
        self.clock_speed: dict[str, float] = {}
        self.invocations: list[str] = []  # function names, in order
        # contract function name -> (trial name in the event, error raised instead of the handler's run)
        self.failures: dict[str, tuple[str, Exception]] = {}
        self._saved_environment: dict[str, str | None] = {}

    def restore_environment(self) -> None:
        """os.environ as before the first invocation (call once no execution runs)."""
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment.clear()

    def _fail_if_asked(self, folder: str, event: bytes) -> None:
        """Raise the error `failures` names for this function when its event is about that trial."""
        if folder in self.failures:
            trial, error = self.failures[folder]
            if f'"{trial}"' in (event or b"").decode():
                raise error

    def invoke(self, function: FunctionPackage, event: bytes) -> Invocation:
        module_name, _, attribute = function.handler.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
        request_id = str(uuid.uuid4())
        folder = module_name.split(".")[1]
        context = InProcessContext(function, request_id, self.clock_speed.get(folder, 0.0))
        # Named as the local cloud names an invocation's log (local_cloud/run_logs.py).
        log = (
            lambda_log_dir(self.run_dir, function.name)
            / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S.%f}-{request_id[:8]}.log"
        )
        log.parent.mkdir(parents=True, exist_ok=True)
        environment = {
            **function.environment,
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
        }
        if self.endpoint_url:
            environment["AWS_ENDPOINT_URL"] = self.endpoint_url
        with _ENVIRONMENT_LOCK:
            # Set, never removed while executions run: a thread reading os.environ (botocore does)
            # while a key goes away fails with KeyError. `restore_environment` removes them after.
            for name, value in environment.items():
                self._saved_environment.setdefault(name, os.environ.get(name))
                os.environ[name] = value
            self.invocations.append(folder)
            try:
                self._fail_if_asked(folder, event)
                payload, errored = handler(json.loads(event or b"{}"), context), False
                json.dumps(payload)  # unserialisable output is an error, as in Lambda
            except Exception as error:  # noqa: BLE001 - every handler error goes back to the caller
                frames = error.__traceback__.tb_next if error.__traceback__ else None
                log.write_text("".join(traceback.format_exception(type(error), error, frames)))
                payload = {
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "requestId": request_id,
                    "stackTrace": traceback.format_tb(frames),
                }
                errored = True
        return Invocation(json.dumps(payload, default=str).encode(), errored, log)


# --- SageMaker: jobs that end at once ----------------------------------------------------------------


class InstantJobs:
    """LocalRuntime's `job_runner`: each job published and finished at once, as local_cloud/sagemaker's
    runners publish them (JobRun), with the results its kind reports."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, str]] = []  # (kind, job name), in order
        self.fail_once: set[str] = set()  # hidden_channels values whose next training job fails on capacity

    def __call__(self, context: JobContext, kind: str, request: dict, *, model=None, tracker=None) -> dict:
        name = request[f"{kind.capitalize()}JobName"]
        self.jobs.append((kind, name))
        if kind == "processing":
            return self._processing(context, name, request)
        if kind == "training":
            return self._training(context, name, request, tracker)
        with JobRun(context, "transform", name, request) as run:
            output = request["TransformOutput"]["S3OutputPath"]
            _put(context.s3, f"{output}test-images.csv.out", b"7\n2\n1\n")
        return run.finish()

    def _processing(self, context: JobContext, name: str, request: dict) -> dict:
        with JobRun(context, "processing", name, request) as run:
            (raw,) = [i["S3Input"]["S3Uri"] for i in request["ProcessingInputs"] if i.get("S3Input")]
            bucket, prefix = _split(raw)
            listed = context.s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)  # type: ignore[attr-defined]
            if not listed.get("KeyCount"):
                run.fail(preprocessing_failure(raw))
            else:
                for output in request["ProcessingOutputConfig"]["Outputs"]:
                    if output["OutputName"] == contract.STATS_OUTPUT:
                        uri = output["S3Output"]["S3Uri"]
                        _put(context.s3, f"{uri}{contract.STATS_FILE}", json.dumps(STATS).encode())
        return run.finish(lambda ended: {"ExitMessage": run.reason} if run.reason else {})

    def _training(self, context: JobContext, name: str, request: dict, tracker) -> dict:
        hyperparameters = request.get("HyperParameters") or {}
        tracked = tracker is not None and bool(request.get("ExperimentConfig"))
        metrics: dict[str, float] = {}
        with JobRun(context, "training", name, request, SecondaryStatus="Starting") as run:
            if tracked:
                tracker.started(run.description)
            if hyperparameters.get("hidden_channels") in self.fail_once:
                self.fail_once.discard(hyperparameters["hidden_channels"])
                run.fail(CAPACITY_REASON)
            elif any(hyperparameters.get(k) == v for k, v in FAILING_HYPERPARAMETERS.items()):
                run.fail(FAILURE_REASON)
            else:
                accuracy = ACCURACY.get(hyperparameters.get("hidden_channels", ""), DEFAULT_ACCURACY)
                metrics = {"train:loss": 0.2, "test:loss": loss_of(accuracy), "test:accuracy": accuracy}
                model = request["OutputDataConfig"]["S3OutputPath"].rstrip("/") + f"/{name}/output/model.tar.gz"
                _put(context.s3, model, b"model")
                run.description["ModelArtifacts"] = {"S3ModelArtifacts": model}
        description = run.finish(
            lambda ended: {
                "SecondaryStatus": run.status,
                "FinalMetricDataList": [
                    {"MetricName": metric, "Value": value, "Timestamp": ended} for metric, value in metrics.items()
                ],
            }
        )
        if tracked:
            tracker.finished(description, {metric: [value] for metric, value in metrics.items()})
        return description


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _put(s3, uri: str, body: bytes) -> None:
    bucket, key = _split(uri)
    s3.put_object(Bucket=bucket, Key=key, Body=body)


# --- one recorded run ---------------------------------------------------------------------------------

EXPERIMENT = "mnist-cnn"
HIDDEN_CHANNELS = ("2", "5", "10", "20", "32")  # 32's training job fails (FAILING_HYPERPARAMETERS)
RECORDED_INPUT = {
    "experimentName": EXPERIMENT,
    "hyperparameters": {"epochs": 2, "dropout": 0.2, "kernel_size": 5, "optimizer": "sgd"},
    "trials": [{"hidden_channels": int(h)} for h in HIDDEN_CHANNELS],
}


@dataclass
class RecordedRun:
    """An ended execution of the training state machine: its run plan (ValidateInput's output) and
    its Summarize output, whose names the records carry."""

    deployment: Deployment
    description: dict
    plan: dict
    output: dict

    @classmethod
    def of(cls, deployment: Deployment, description: dict) -> RecordedRun:
        stepfunctions = boto3.client("stepfunctions", region_name=REGION)
        events = stepfunctions.get_execution_history(executionArn=description["executionArn"], maxResults=1000)[
            "events"
        ]
        (plan,) = [
            json.loads(e["stateExitedEventDetails"]["output"])
            for e in events
            if e["type"] == "TaskStateExited" and e["stateExitedEventDetails"]["name"] == states.VALIDATE_INPUT
        ]
        return cls(deployment, description, plan, json.loads(description.get("output") or "{}"))

    def trial(self, hidden_channels: str) -> dict:
        """The outcome of the trial with this hidden_channels."""
        return trials_of(self.description)[hidden_channels]

    def trial_name(self, hidden_channels: str) -> str:
        return self.trial(hidden_channels)["trialName"]

    def job_name(self, hidden_channels: str) -> str:
        return self.trial(hidden_channels)["trainingJobName"]

    @property
    def preprocessed(self) -> str:
        return self.plan["preprocessing"]["outputS3Uri"]


def record_run(deployment: Deployment) -> RecordedRun:
    description = run_training(deployment, RECORDED_INPUT, name="run-1")
    assert description["status"] == "SUCCEEDED", description
    return RecordedRun.of(deployment, description)


def sweep_trials(description: dict) -> list[dict]:
    """A finished execution's trial outcomes, in the sweep's order: the outcomes file its output points at."""
    return outcomes_of(boto3.client("s3", region_name=REGION), description)["trials"]


def output_with_outcomes(description: dict) -> dict:
    """tests/sweep_output.py's, on this moto's S3."""
    return sweep_output.output_with_outcomes(boto3.client("s3", region_name=REGION), description)


def trials_of_kernel_size(description: dict) -> list[dict]:
    """The execution's trial outcomes, in kernel_size order."""
    return sorted(sweep_trials(description), key=lambda t: int(t["hyperparameters"]["kernel_size"]))


def trials_of(description: dict) -> dict[str, dict]:
    """The execution's trial outcomes by hidden_channels (as text, the hyperparameter's SageMaker form)."""
    return {t["hyperparameters"]["hidden_channels"]: t for t in sweep_trials(description)}
