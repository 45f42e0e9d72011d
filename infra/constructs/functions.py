"""The Lambda functions of lambdas/: one role, log group and tracing each; one code package for all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, Duration, ILocalBundling, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

import contract
from contract import errors, functions, tracking
from infra import lambda_bundle
from infra.constructs.mlflow_tracking import grant_tracking

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64


@jsii.implements(ILocalBundling)
class _LocalBundler:
    """Builds the code package on this machine: lambdas/, contract/ and the wheels pinned in
    lambdas/requirements.txt (Powertools and its dependencies), unpacked from the wheelhouse that
    `make setup` downloads; no Docker, no network (infra/lambda_bundle.py). CDK calls it "before
    attempting docker bundling to allow the bundler to be executed locally" (ILocalBundling); it
    never returns False, so CDK never falls back to Docker: a missing wheelhouse fails the synth
    with a message naming `make setup`."""

    def try_bundle(self, output_dir: str, *, image, **_options) -> bool:
        lambda_bundle.bundle(Path(output_dir))
        return True


def code_asset() -> lambda_.Code:
    # CUSTOM: the asset hash is a digest of every input of the package (infra.lambda_bundle.inputs_hash:
    # code, pinned wheels, the bundler), so a new pin changes it and a stray __pycache__ does not.
    # Known before bundling, it names the package's folder in the out-dir, and CDK skips bundling
    # when that folder exists (AssetStaging.bundle: `if (fs.existsSync(bundleDir)) return;`): a
    # repeated `cdk synth` does not rebuild an unchanged package.
    return lambda_.Code.from_asset(
        str(PROJECT_ROOT),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=lambda_bundle.inputs_hash(),
        bundling=BundlingOptions(
            # Required by the API; never pulled: the local bundler always bundles (or raises).
            image=DockerImage.from_registry("unused-local-bundling-only"),
            local=_LocalBundler(),
        ),
    )


@dataclass(frozen=True)
class FunctionSpec:
    """A function of contract.functions with what only its deployment needs: time and memory."""

    function: functions.Function
    timeout: Duration
    memory_mb: int = 256

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def description(self) -> str:
        return self.function.description


VALIDATE_INPUT = FunctionSpec(functions.VALIDATE_INPUT, Duration.seconds(30))
RECORD_EXPERIMENT = FunctionSpec(functions.RECORD_EXPERIMENT, Duration.minutes(2))
RECORD_PREPROCESSING = FunctionSpec(functions.RECORD_PREPROCESSING, Duration.minutes(2))
RECORD_TRIAL = FunctionSpec(functions.RECORD_TRIAL, Duration.minutes(2))
RECORD_TRAINING = FunctionSpec(functions.RECORD_TRAINING, Duration.minutes(2))
# Two minutes: besides the outcomes it completes each trial's MLflow run (three calls a trial).
SELECT_BEST = FunctionSpec(functions.SELECT_BEST, Duration.minutes(2))
RECORD_TRANSFORM = FunctionSpec(functions.RECORD_TRANSFORM, Duration.minutes(1))
CLEANUP_EXPERIMENT = FunctionSpec(functions.CLEANUP_EXPERIMENT, Duration.minutes(5))
ALL_FUNCTIONS = (
    VALIDATE_INPUT,
    RECORD_EXPERIMENT,
    RECORD_PREPROCESSING,
    RECORD_TRIAL,
    RECORD_TRAINING,
    SELECT_BEST,
    RECORD_TRANSFORM,
    CLEANUP_EXPERIMENT,
)
assert [spec.function for spec in ALL_FUNCTIONS] == list(functions.ALL_FUNCTIONS)  # every function deployed
# Every function but these writes SageMaker Experiments records.
PURE_FUNCTIONS = tuple(spec for spec in ALL_FUNCTIONS if spec.function in functions.PURE_FUNCTIONS)
MLFLOW_FUNCTIONS = (RECORD_EXPERIMENT, RECORD_PREPROCESSING, SELECT_BEST, RECORD_TRANSFORM, CLEANUP_EXPERIMENT)

# Exactly the calls of lambdas/experiment_records/records.py that the recorders make.
EXPERIMENT_RECORD_ACTIONS = [
    "sagemaker:AssociateTrialComponent",
    "sagemaker:CreateExperiment",
    "sagemaker:CreateTrial",
    "sagemaker:CreateTrialComponent",
    "sagemaker:DescribeTrialComponent",
    "sagemaker:UpdateTrialComponent",
]
EXPERIMENT_CLEANUP_ACTIONS = [
    # Not called by the cleanup any more; granted while tests/infra/test_pipeline_stack.py derives
    # the cleanup role from every call in lambdas/experiment_records/records.py.
    "sagemaker:AssociateTrialComponent",
    # The cleanup's ledger: names about to be released, recorded on the experiment as tags.
    "sagemaker:AddTags",
    "sagemaker:ListTags",
    "sagemaker:DeleteExperiment",
    "sagemaker:DeleteTrial",
    "sagemaker:DeleteTrialComponent",
    "sagemaker:DescribeExperiment",
    "sagemaker:DisassociateTrialComponent",
]
# The cleanup's listing (ListTrials of the experiment) and its Search (every component of the
# experiment, with the trials holding it). These actions have no resource-level permissions (the
# Service Authorization Reference lists no resource type for them): granted on record ARNs they are denied.
EXPERIMENT_LISTING_ACTIONS = [
    "sagemaker:ListTrials",
    "sagemaker:Search",
]


class ExperimentFunctions(Construct):
    """Builds every function of lambdas/ from one code asset; `self.functions[name]`."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket: s3.IBucket,
        key: kms.IKey,
        max_trials: int,
        reserved_concurrency: int | None,
        log_retention: logs.RetentionDays,
        mlflow_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        code = code_asset()
        self.functions: dict[str, lambda_.Function] = {}
        for spec in ALL_FUNCTIONS:
            log_group = logs.LogGroup(
                self,
                f"{_camel(spec.name)}Logs",
                retention=log_retention,
                encryption_key=key,
                removal_policy=RemovalPolicy.DESTROY,
            )
            # Its own role, no managed policy: write to its own log group (X-Ray is added by tracing).
            role = iam.Role(
                self,
                f"{_camel(spec.name)}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"Runs the {spec.name} function",
            )
            log_group.grant_write(role)
            function = lambda_.Function(
                self,
                _camel(spec.name),
                role=role,
                description=spec.description,
                runtime=RUNTIME,
                architecture=ARCHITECTURE,
                code=code,
                handler=spec.function.handler,
                timeout=spec.timeout,
                memory_size=spec.memory_mb,
                tracing=lambda_.Tracing.ACTIVE,
                reserved_concurrent_executions=reserved_concurrency,
                log_group=log_group,
                logging_format=lambda_.LoggingFormat.JSON,
                environment={
                    "BUCKET_NAME": bucket.bucket_name,
                    "MAX_TRIALS": str(max_trials),
                    "POWERTOOLS_SERVICE_NAME": spec.name,
                    "POWERTOOLS_LOG_LEVEL": "INFO",
                },
                environment_encryption=key,
            )
            self.functions[spec.name] = function

        stack = Stack.of(self)
        arn = f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}"
        records = [f"{arn}:experiment/*", f"{arn}:experiment-trial/*", f"{arn}:experiment-trial-component/*"]
        for spec in ALL_FUNCTIONS:
            if spec in PURE_FUNCTIONS:
                continue
            actions = EXPERIMENT_CLEANUP_ACTIONS if spec is CLEANUP_EXPERIMENT else EXPERIMENT_RECORD_ACTIONS
            self.functions[spec.name].add_to_role_policy(iam.PolicyStatement(actions=actions, resources=records))
        self.functions[CLEANUP_EXPERIMENT.name].add_to_role_policy(
            iam.PolicyStatement(actions=EXPERIMENT_LISTING_ACTIONS, resources=["*"])
        )
        # ValidateInput counts the experiment's trials (one ListTrials pages through them) to refuse a
        # sweep past the trials-per-experiment quota before anything is created; like the cleanup's
        # listings, ListTrials has no resource-level permissions.
        self.functions[VALIDATE_INPUT.name].add_to_role_policy(
            iam.PolicyStatement(actions=["sagemaker:ListTrials"], resources=["*"])
        )
        # The plan's trials: ValidateInput writes them, RecordExperiment and SelectBest read them;
        # SelectBest reads the Map Run's results and writes the outcomes. Exactly those files, with
        # the project key (the bucket's default SSE-KMS encryption).
        trials_files, result_files = (
            bucket.arn_for_objects(contract.TRIALS_FILES),
            bucket.arn_for_objects(contract.RESULT_FILES),
        )
        outcomes_files = bucket.arn_for_objects(contract.OUTCOMES_FILES)
        validate, record, select = (self.functions[s.name] for s in (VALIDATE_INPUT, RECORD_EXPERIMENT, SELECT_BEST))
        validate.add_to_role_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[trials_files]))
        record.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[trials_files]))
        select.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[trials_files, result_files]))
        select.add_to_role_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[outcomes_files]))
        key.grant(validate, "kms:GenerateDataKey")
        key.grant(record, "kms:Decrypt")
        key.grant(select, "kms:Decrypt", "kms:GenerateDataKey")
        # The preprocessing recorder reads stats.json written by the processing job.
        bucket.grant_read(self.functions[RECORD_PREPROCESSING.name], f"{contract.RUNS_PREFIX}*")
        key.grant_decrypt(self.functions[RECORD_PREPROCESSING.name])
        # The functions that write or delete MLflow runs are given the App's ARN as their tracking URI.
        if mlflow_arn:
            for spec in MLFLOW_FUNCTIONS:
                self.functions[spec.name].add_environment(tracking.TRACKING_URI_ENV, mlflow_arn)
                grant_tracking(self.functions[spec.name], mlflow_arn)

    def __getitem__(self, spec: FunctionSpec) -> lambda_.Function:
        return self.functions[spec.name]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


# Throttled invokes: full-jitter backoff from 1 s, 6 attempts (at most ~63 s of waiting), so that
# concurrent executions (or a small reserved concurrency) spread out instead of retrying in step.
THROTTLING_RETRY_INTERVAL = Duration.seconds(1)
THROTTLING_RETRY_ATTEMPTS = 6


def retry_throttling(task: tasks.LambdaInvoke) -> tasks.LambdaInvoke:
    """Retry a Lambda state that Lambda throttled (Lambda.TooManyRequestsException), with backoff."""
    task.add_retry(
        errors=list(errors.LAMBDA_THROTTLING_ERRORS),
        interval=THROTTLING_RETRY_INTERVAL,
        backoff_rate=2,
        max_attempts=THROTTLING_RETRY_ATTEMPTS,
        jitter_strategy=sfn.JitterType.FULL,
    )
    return task
