"""cdk-nag packs for every stack, and every acknowledged finding with its reason (reviewed here).

Acknowledgements are attached to the narrowest construct that carries the finding, so a new
resource elsewhere with the same kind of finding is still reported.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks
from constructs import IConstruct

import contract
from contract import states

AWS = "AwsSolutions::AwsSolutions-"
NIST = "NIST.800.53.R5::NIST.800.53.R5-"


def register_security_checks(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))


# The wildcard actions of CDK's bucket.grant_read_write and key.grant_encrypt_decrypt, which cdk-nag's
# IAM5 names one by one: acknowledged for each role granted a bucket prefix and the key that way.
READ_WRITE_GRANT_ACTIONS = (
    "s3:GetObject*",
    "s3:GetBucket*",
    "s3:List*",
    "s3:DeleteObject*",
    "s3:Abort*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
)


def acknowledge_findings(data: cdk.Stack, pipeline: cdk.Stack, *, project_tag: str) -> None:
    _data_stack(data)
    # The bucket ARN as cdk-nag prints it (see Config.bucket_name).
    bucket_arn = f"arn:<AWS::Partition>:s3:::{project_tag}-<AWS::AccountId>-<AWS::Region>"
    _pipeline_stack(pipeline, bucket_arn=bucket_arn)


def _data_stack(data: cdk.Stack) -> None:
    store = data.node.find_child("Artifacts")
    for bucket in (store.node.find_child("Bucket"), store.node.find_child("AccessLogs")):
        _ack(
            bucket,
            f"{NIST}S3BucketReplicationEnabled",
            "Contents are reproducible (raw dataset + pinned code); versioning and retain-on-delete "
            "protect them; cross-region replication would double storage cost for no recovery gain.",
        )
    _ack(
        store.node.find_child("AccessLogs"),
        f"{NIST}S3DefaultEncryptionKMS",
        "S3 server access logs can only be delivered to a bucket with SSE-S3 (AES256) default encryption, not SSE-KMS.",
    )
    mlflow = data.node.try_find_child("Mlflow")
    if mlflow is not None:  # context mlflowTracking
        role = mlflow.node.find_child("Role")
        bucket = data.get_logical_id(store.node.find_child("Bucket").node.default_child)
        for action in READ_WRITE_GRANT_ACTIONS:
            _ack(
                role,
                f"{AWS}IAM5[Action::{action}]",
                "CDK grant action groups (bucket read/write on the mlflow/ prefix, encrypt/decrypt on the "
                "project key): the MLflow App's artifact store.",
            )
        _ack(
            role,
            f"{AWS}IAM5[Resource::<{bucket}.Arn>/mlflow/*]",
            "The MLflow App names its artifacts per experiment and run under its artifact store, mlflow/.",
        )
        _ack(role, f"{NIST}IAMNoInlinePolicy", _INLINE_REASON)


def _pipeline_stack(pipeline: cdk.Stack, *, bucket_arn: str) -> None:
    functions = pipeline.node.find_child("Functions")
    lambdas = [child for child in functions.node.children if isinstance(child, cdk.aws_lambda.Function)]
    for function in lambdas:
        _ack(
            function,
            f"{NIST}LambdaInsideVPC",
            "The functions only call the SageMaker and S3 public APIs and reach no VPC resource; "
            "a VPC would add NAT or endpoint cost and no data-path protection.",
        )
        _ack(
            function,
            f"{NIST}LambdaDLQ",
            "Invoked synchronously by Step Functions: a failure surfaces in the execution "
            "(Retry/Catch, execution history); a DLQ only applies to asynchronous invocations.",
        )
        listing = {
            "CleanupExperiment": " and the cleanup lists the experiment's trials with sagemaker:ListTrials "
            "and finds its components, with the trials holding each, with sagemaker:Search;",
            "ValidateInput": " and the input check counts the experiment's trials with sagemaker:ListTrials;",
        }.get(function.node.id)
        _ack(
            function.role,
            f"{AWS}IAM5[Resource::*]",
            "Active tracing needs xray:PutTraceSegments/PutTelemetryRecords"
            + (
                f"{listing} none of these actions has resource-level permissions."
                if listing
                else ", which have no resource-level permissions."
            ),
        )
        _ack(function.role, f"{NIST}IAMNoInlinePolicy", _INLINE_REASON)
        if function.node.default_child.reserved_concurrent_executions is None:
            # Only while `lambdaReservedConcurrency` is null (cdk.json's default): with a value,
            # the finding cannot arise and nothing is acknowledged.
            _ack(
                function,
                f"{NIST}LambdaConcurrency",
                "Reserved concurrency is opt-in (cdk.json lambdaReservedConcurrency): Lambda keeps at "
                "least 100 executions unreserved, so 8 reserving functions need an account quota new "
                "accounts lack. Concurrency is bounded upstream: the Map's MaxConcurrency and maxTrials.",
            )

    records = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
    recorders = [f for f in lambdas if f.node.id not in ("ValidateInput", "SelectBest", "RecordTransform")]
    for function in recorders:
        for kind in ("experiment", "experiment-trial", "experiment-trial-component"):
            _ack(
                function.role,
                f"{AWS}IAM5[Resource::{records}:{kind}/*]",
                "Experiment, trial and component names are chosen per execution input at run time; the "
                "statement is limited to the Experiments record types and the actions this function calls.",
            )
    for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*"):
        _ack(
            functions.node.find_child("RecordPreprocessingRole"),
            f"{AWS}IAM5[Action::{action}]",
            "CDK bucket.grant_read action group, limited to the runs/ prefix of the project bucket.",
        )
    _ack(
        functions.node.find_child("RecordPreprocessingRole"),
        f"{AWS}IAM5[Resource::{bucket_arn}/runs/*]",
        "Reads stats.json of any run: run prefixes are created per execution.",
    )

    sagemaker_role = pipeline.node.find_child("SageMaker").node.find_child("Role")
    for action in READ_WRITE_GRANT_ACTIONS:
        _ack(
            sagemaker_role,
            f"{AWS}IAM5[Action::{action}]",
            "CDK grant action groups (bucket read/write on the datasets/ and runs/ prefixes, "
            "encrypt/decrypt on the project key) for jobs reading inputs and writing outputs.",
        )
    for prefix in ("datasets/*", "runs/*"):
        _ack(
            sagemaker_role,
            f"{AWS}IAM5[Resource::{bucket_arn}/{prefix}]",
            "Jobs read any dataset and write any run's outputs under these prefixes of the project "
            "bucket; object keys are chosen per execution.",
        )
    _ack(
        sagemaker_role,
        f"{AWS}IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/*]",
        "SageMaker writes job logs to /aws/sagemaker/{TrainingJobs,ProcessingJobs,TransformJobs}.",
    )
    _ack(
        sagemaker_role,
        f"{AWS}IAM5[Resource::*]",
        "ecr:GetAuthorizationToken and cloudwatch:PutMetricData have no resource-level permissions; "
        "PutMetricData is limited to the /aws/sagemaker/* namespaces by condition.",
    )
    _ack(sagemaker_role, f"{NIST}IAMNoInlinePolicy", _INLINE_REASON)

    jobs = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
    training_role = pipeline.node.find_child("Training").node.find_child("StateMachine").node.find_child("Role")
    for kind in ("processing-job", "training-job", "transform-job", "model"):
        _ack(
            training_role,
            f"{AWS}IAM5[Resource::{jobs}:{kind}/*]",
            "Job and model names are derived per execution and trial at run time.",
        )
    _sweep(pipeline, functions, training_role, bucket_arn=bucket_arn)
    cleanup_role = _state_machine_role(pipeline, "Cleanup")
    for function in lambdas:
        # Each state machine role is acknowledged only for the functions it invokes.
        role = cleanup_role if function.node.id == "CleanupExperiment" else training_role
        _ack(
            role,
            f"{AWS}IAM5[Resource::<{pipeline.get_logical_id(function.node.default_child)}.Arn>:*]",
            "Invoking the project's own function, any version or alias of it.",
        )
    no_resource_level = (
        "X-Ray tracing and CloudWatch Logs log delivery (logs:CreateLogDelivery, ...) have no "
        "resource-level permissions"
    )
    _ack(
        training_role,
        f"{AWS}IAM5[Resource::*]",
        no_resource_level + "; nor has sagemaker:ListTags, which the Step Functions SageMaker integration "
        "calls on the jobs it runs (granted by the CDK's SageMaker tasks).",
    )
    _ack(cleanup_role, f"{AWS}IAM5[Resource::*]", no_resource_level + ".")
    for role in (training_role, cleanup_role):
        _ack(role, f"{NIST}IAMNoInlinePolicy", _INLINE_REASON)


def _sweep(pipeline: cdk.Stack, functions: IConstruct, training_role: IConstruct, *, bucket_arn: str) -> None:
    """The Distributed Map sweep's grants: the run files (contract.layout) and the child executions."""
    # The run files of the Distributed Map sweep (contract.layout): every run's, as runs are per execution.
    run_file_reasons = {
        "ValidateInput": {contract.TRIALS_FILES: "Writes the plan's trials file of the run it plans."},
        "RecordExperiment": {contract.TRIALS_FILES: "Reads the plan's trials file of the run it records."},
        "SelectBest": {
            contract.TRIALS_FILES: "Reads the plan's trials file of the run it selects in.",
            contract.RESULT_FILES: "Reads the Map Run's result files (manifest.json, SUCCEEDED_<n>.json) of the run.",
            contract.OUTCOMES_FILES: "Writes the run's outcomes file.",
        },
    }
    for name, reasons in run_file_reasons.items():
        for pattern, reason in reasons.items():
            _ack(
                functions.node.find_child(f"{name}Role"),
                f"{AWS}IAM5[Resource::{bucket_arn}/{pattern}]",
                reason + " Run prefixes are created per execution (runs/<experiment>/<execution>/).",
            )

    for pattern, reason in (
        (contract.TRIALS_FILES, "TrainTrials' ItemReader reads the plan's trials file of the execution's run."),
        (contract.RESULT_FILES, "TrainTrials' ResultWriter writes the Map Run's results under the run's results/."),
    ):
        _ack(
            training_role,
            f"{AWS}IAM5[Resource::{bucket_arn}/{pattern}]",
            reason + " Run prefixes are created per execution.",
        )
    # The Distributed Map's children: executions of this state machine, named per Map Run.
    training_machine = pipeline.node.find_child("Training").node.find_child("StateMachine")
    machine_name = (
        '{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"'
        + pipeline.get_logical_id(training_machine.node.default_child)
        + '"}]}]}'
    )
    executions = "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:" + machine_name
    map_policy = training_machine.node.find_child("DistributedMapPolicy")
    _ack(
        map_policy,
        f"{AWS}IAM5[Resource::{executions}:*]",
        "TrainTrials describes and stops its child executions, whose names Step Functions chooses per Map Run "
        "(granted by the CDK's DistributedMap on this state machine's executions only).",
    )
    _ack(
        map_policy,
        f"{AWS}IAM5[Resource::{executions}/{states.TRAIN_TRIALS}:*]",
        "Redriving TrainTrials' child executions (the Map Run's label), granted by the CDK's DistributedMap.",
    )
    _ack(map_policy, f"{NIST}IAMNoInlinePolicy", _INLINE_REASON)


_INLINE_REASON = (
    "The policy is generated by CDK grants for exactly this role and scoped to this project's "
    "resources; a customer-managed policy would only add indirection."
)


def _state_machine_role(pipeline: cdk.Stack, name: str) -> IConstruct:
    return pipeline.node.find_child(name).node.find_child("StateMachine").node.find_child("Role")


def _ack(scope: IConstruct, finding: str, reason: str) -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))
