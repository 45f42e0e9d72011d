"""The Lambda functions of lambdas/: one role, log group, tracing and concurrency limit each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, IgnoreMode, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

import contract

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
POWERTOOLS_VERSION = "3.37.0"  # the same pin as lambdas/requirements.txt

# The code asset holds lambdas/ and the shared contract (contract/) and nothing else,
# so caches, tests and the rest of the repository never change the template.
CODE_EXCLUDES = [
    "*",
    "!lambdas/",
    "!lambdas/**",
    "!contract/",
    "!contract/**",
    "**/__pycache__",
    "**/*.pyc",
    "lambdas/requirements.txt",
]


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # folder under lambdas/
    description: str
    timeout: Duration
    memory_mb: int = 256


VALIDATE_INPUT = FunctionSpec("validate_input", "Validates execution input and plans the run", Duration.seconds(30))
RECORD_EXPERIMENT = FunctionSpec(
    "record_experiment", "Records the experiment and preprocessing component", Duration.minutes(2)
)
RECORD_PREPROCESSING = FunctionSpec(
    "record_preprocessing", "Records preprocessing statistics and outcome", Duration.minutes(2)
)
RECORD_TRIAL = FunctionSpec("record_trial", "Records a trial and associates preprocessing", Duration.minutes(2))
RECORD_TRAINING = FunctionSpec("record_training", "Records a training outcome on its trial", Duration.minutes(2))
SELECT_BEST = FunctionSpec("select_best", "Selects the best completed trial", Duration.seconds(30))
RECORD_TRANSFORM = FunctionSpec("record_transform", "Records the batch transform and its lineage", Duration.minutes(2))
CLEANUP_EXPERIMENT = FunctionSpec(
    "cleanup_experiment", "Deletes an experiment's records in API order", Duration.minutes(5)
)
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
# Every function but these two writes SageMaker Experiments records.
PURE_FUNCTIONS = (VALIDATE_INPUT, SELECT_BEST)

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
# The cleanup's listings and its Search (who holds each component). These actions have no
# resource-level permissions (the Service Authorization Reference lists no resource type for
# them): granted on record ARNs they are denied.
EXPERIMENT_LISTING_ACTIONS = [
    "sagemaker:ListTrialComponents",  # not called by the cleanup any more (see above)
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
        powertools_from_public_layer: bool,
    ) -> None:
        super().__init__(scope, id)
        code = lambda_.Code.from_asset(str(PROJECT_ROOT), exclude=CODE_EXCLUDES, ignore_mode=IgnoreMode.GIT)
        layers = [self._powertools_layer()] if powertools_from_public_layer else []
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
                handler=f"lambdas.{spec.name}.handler.handler",
                timeout=spec.timeout,
                memory_size=spec.memory_mb,
                layers=layers,
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
        # The preprocessing recorder reads stats.json written by the processing job.
        bucket.grant_read(self.functions[RECORD_PREPROCESSING.name], f"{contract.RUNS_PREFIX}*")
        key.grant_decrypt(self.functions[RECORD_PREPROCESSING.name])

    def __getitem__(self, spec: FunctionSpec) -> lambda_.Function:
        return self.functions[spec.name]

    def _powertools_layer(self) -> lambda_.ILayerVersion:
        # AWS publishes each Powertools release's layer ARN as a public SSM parameter.
        parameter = f"/aws/service/powertools/python/{ARCHITECTURE.name}/{RUNTIME.name}/{POWERTOOLS_VERSION}"
        layer_arn = ssm.StringParameter.value_for_string_parameter(self, parameter)
        return lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", layer_arn)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
