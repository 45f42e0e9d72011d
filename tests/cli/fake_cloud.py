"""A deployed project in moto: the two stacks' outputs, state machines shaped like the real ones, records.

The state machines use the real state names of infra/constructs/*_pipeline.py but only Pass,
Choice, Map and Fail states, so moto runs them in-process; their outputs have the documented shapes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3

import contract
from local_cloud import experiments

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = f"sagemaker-experiments-{ACCOUNT}-{REGION}"
EXPERIMENT = "mnist-cnn"
BROKEN_EXPERIMENT = "broken"  # the fake training state machine fails its preprocessing for this one
HIDDEN_CHANNELS = (2, 5, 10, 20, 32)
FAILING_KERNEL_SIZE = 7  # a trial with this kernel_size ends in NotTrained
# test:accuracy per hidden_channels; 32's training job failed.
ACCURACY = {2: 91.25, 5: 95.5, 10: 97.1, 20: 97.9}
FAILURE_REASON = "AlgorithmError: ExecuteUserScriptError: CUDA out of memory"
PREPROCESSING_CAUSE = json.dumps(
    {
        "ProcessingJobName": "broken-preprocess",
        "ProcessingJobStatus": "Failed",
        "FailureReason": "ClientError: no MNIST files under s3://missing/raw/",
    }
)
DATASET = f"s3://{BUCKET}/datasets/digits/"
RUN = f"s3://{BUCKET}/runs/{EXPERIMENT}/run-1/"
PREPROCESSED = f"{RUN}preprocessed/"
MODEL = "mnist-cnn-1a2b3c4d-model"
TRANSFORM_JOB = "mnist-cnn-1a2b3c4d-transform"


def trial_name(hidden: int) -> str:
    return f"{EXPERIMENT}-1a2b3c4d-trial-hc{hidden}"


def job_name(hidden: int) -> str:
    return f"{EXPERIMENT}-1a2b3c4d-train-hc{hidden}"


def hyperparameters(hidden: int) -> dict[str, str]:
    return {"hidden_channels": str(hidden), "epochs": "2", "dropout": "0.2", "kernel_size": "5", "optimizer": "sgd"}


def execution_output() -> dict:
    """What the real Summarize state outputs for the recorded run (README, "Execution input and output reference")."""
    trials = []
    for hidden in HIDDEN_CHANNELS:
        ok = hidden in ACCURACY
        trials.append(
            {
                "trialName": trial_name(hidden),
                "trainingJobName": job_name(hidden),
                "status": "Completed" if ok else "Failed",
                "hyperparameters": hyperparameters(hidden),
                "metrics": {"test:accuracy": ACCURACY[hidden], "test:loss": 0.1} if ok else {},
                "failureReason": None if ok else FAILURE_REASON,
            }
        )
    return {
        "experimentName": EXPERIMENT,
        "trials": trials,
        "best": {"trialName": trial_name(20), "metric": "test:accuracy", "value": ACCURACY[20]},
        "model": MODEL,
        "transform": {"jobName": TRANSFORM_JOB, "outputS3Uri": f"{RUN}transform/"},
    }


def training_definition(validate_function_arn: str | None = None) -> dict:
    def passing(next_state: str) -> dict:
        return {"Type": "Pass", "Next": next_state}

    validate = passing("RecordExperiment")
    if validate_function_arn:
        # Where the real LambdaInvoke state names its function (the CLI reads MAX_TRIALS from it).
        validate.update(Parameters={"FunctionName": validate_function_arn, "Payload.$": "$"}, ResultPath="$.validation")
    return {
        "StartAt": "ValidateInput",
        "States": {
            "ValidateInput": validate,
            "RecordExperiment": passing("Preprocess"),
            "Preprocess": {
                "Type": "Choice",
                "Default": "RecordPreprocessing",
                "Choices": [
                    {
                        "Variable": "$.experimentName",
                        "StringEquals": BROKEN_EXPERIMENT,
                        "Next": "RecordPreprocessingFailure",
                    }
                ],
            },
            "RecordPreprocessingFailure": passing("PreprocessingFailed"),
            "PreprocessingFailed": {"Type": "Fail", "Error": "PreprocessingFailed", "Cause": PREPROCESSING_CAUSE},
            "RecordPreprocessing": passing("TrainTrials"),
            "TrainTrials": {
                "Type": "Map",
                "ItemsPath": "$.trials",
                "MaxConcurrency": 2,
                "ResultPath": "$.trialResults",
                "ItemSelector": {"trial.$": "$$.Map.Item.Value"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "RecordTrial",
                    "States": {
                        "RecordTrial": passing("Train"),
                        "Train": {
                            "Type": "Choice",
                            "Default": "Trained",
                            "Choices": [
                                {"Variable": "$.trial.kernel_size", "IsPresent": False, "Next": "Trained"},
                                {
                                    "Variable": "$.trial.kernel_size",
                                    "NumericEquals": FAILING_KERNEL_SIZE,
                                    "Next": "NotTrained",
                                },
                            ],
                        },
                        "Trained": passing("RecordTraining"),
                        "NotTrained": passing("RecordTraining"),
                        "RecordTraining": {"Type": "Pass", "End": True},
                    },
                },
                "Next": "SelectBest",
            },
            "SelectBest": passing("CreateModel"),
            "CreateModel": passing("Transform"),
            "Transform": passing("RecordTransform"),
            "RecordTransform": passing("Summarize"),
            "Summarize": {"Type": "Pass", "Result": execution_output(), "End": True},
        },
    }


CLEANUP_OUTPUT = {
    "experimentName": EXPERIMENT,
    "done": True,
    "keepComponents": False,
    "deleted": {"associations": 11, "trialComponents": 7, "trials": 5, "experiment": 1},
    "kept": {"sharedTrialComponents": 0, "keptTrialComponents": 0},
}


def cleanup_definition() -> dict:
    # Two passes, as the real function returns done=false when it runs out of time.
    first = {
        **CLEANUP_OUTPUT,
        "done": False,
        "deleted": {"associations": 6, "trialComponents": 3, "trials": 2, "experiment": 0},
    }
    return {
        "StartAt": "DeleteRecords",
        "States": {
            "DeleteRecords": {
                "Type": "Choice",
                "Default": "FirstPass",
                "Choices": [{"Variable": "$.done", "IsPresent": True, "Next": "SecondPass"}],
            },
            "FirstPass": {"Type": "Pass", "Result": first, "Next": "Done?"},
            "SecondPass": {"Type": "Pass", "Result": CLEANUP_OUTPUT, "Next": "Done?"},
            "Done?": {
                "Type": "Choice",
                "Default": "DeleteRecords",
                "Choices": [{"Variable": "$.done", "BooleanEquals": True, "Next": "Deleted"}],
            },
            "Deleted": {"Type": "Succeed"},
        },
    }


def validate_function(max_trials: int) -> str:
    """A validate_input function with the deployment's MAX_TRIALS (its code is never run here)."""
    import io
    import zipfile

    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(
        RoleName="validate-input",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
                ],
            }
        ),
    )["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("lambdas/validate_input/handler.py", "def handler(event, context):\n    return event\n")
    return boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="ExperimentsPipeline-ValidateInput",
        Runtime="python3.11",
        Role=role,
        Handler="lambdas.validate_input.handler.handler",
        Code={"ZipFile": package.getvalue()},
        Environment={"Variables": {"BUCKET_NAME": BUCKET, "MAX_TRIALS": str(max_trials)}},
    )["FunctionArn"]


def deploy_stacks(
    prefix: str = "Experiments", *, validate_function_arn: str | None = None, max_trials: int | None = None
) -> dict[str, str]:
    """The Data and Pipeline stacks with the outputs of docs/stack-outputs.md; returns the outputs."""
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    role = f"arn:aws:iam::{ACCOUNT}:role/states"
    data = {
        "Resources": {"ArtifactsBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": BUCKET}}},
        "Outputs": {"BucketName": {"Value": {"Ref": "ArtifactsBucket"}}},
    }
    pipeline = {
        "Resources": {
            "Training": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineName": f"{prefix}Training",
                    "RoleArn": role,
                    "DefinitionString": json.dumps(training_definition(validate_function_arn)),
                },
            },
            "Cleanup": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineName": f"{prefix}Cleanup",
                    "RoleArn": role,
                    "DefinitionString": json.dumps(cleanup_definition()),
                },
            },
        },
        "Outputs": {
            "TrainingStateMachineArn": {"Value": {"Ref": "Training"}},
            "CleanupStateMachineArn": {"Value": {"Ref": "Cleanup"}},
            "BucketName": {"Value": BUCKET},
            "SageMakerRoleArn": {"Value": f"arn:aws:iam::{ACCOUNT}:role/sagemaker"},
            "JobsImageUri": {"Value": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/sagemaker-experiments-jobs:local"},
            **({"MaxTrials": {"Value": str(max_trials)}} if max_trials is not None else {}),
        },
    }
    cloudformation.create_stack(StackName=f"{prefix}Data", TemplateBody=json.dumps(data))
    cloudformation.create_stack(StackName=f"{prefix}Pipeline", TemplateBody=json.dumps(pipeline))
    stack = cloudformation.describe_stacks(StackName=f"{prefix}Pipeline")["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def record_experiment() -> None:
    """The records one run of the pipeline leaves (docs/lambda-contracts.md), made through the API;
    the training jobs' components as SageMaker itself records them (the emulator's backend)."""
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.create_experiment(ExperimentName=EXPERIMENT, Description="MNIST CNN hidden channels")
    preprocessing = f"{EXPERIMENT}-1a2b3c4d-preprocessing"
    sagemaker.create_trial_component(
        TrialComponentName=preprocessing,
        DisplayName=contract.PREPROCESSING_DISPLAY_NAME,
        Status={"PrimaryStatus": "Completed"},
        Parameters={"normalization_mean": {"NumberValue": 0.1307}, "normalization_std": {"NumberValue": 0.3081}},
        InputArtifacts={contract.DATASET_ARTIFACT: {"Value": DATASET, "MediaType": "s3/uri"}},
        OutputArtifacts={
            name: {"Value": f"{PREPROCESSED}{name}/", "MediaType": "s3/uri"} for name in contract.PROCESSING_OUTPUTS
        },
    )
    backend = experiments.backend_for(ACCOUNT, REGION)
    now = datetime.now(UTC)
    for hidden in HIDDEN_CHANNELS:
        sagemaker.create_trial(TrialName=trial_name(hidden), ExperimentName=EXPERIMENT)
        sagemaker.associate_trial_component(TrialComponentName=preprocessing, TrialName=trial_name(hidden))
        ok = hidden in ACCURACY
        backend.record_training_job(
            training_job_name=job_name(hidden),
            training_job_arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{job_name(hidden)}",
            experiment_config={
                "ExperimentName": EXPERIMENT,
                "TrialName": trial_name(hidden),
                "TrialComponentDisplayName": contract.TRAINING_DISPLAY_NAME,
            },
            status="Completed" if ok else "Failed",
            hyperparameters=hyperparameters(hidden),
            input_artifacts={"train": f"{PREPROCESSED}train/", "test": f"{PREPROCESSED}test/"},
            model_artifact=f"{RUN}models/{job_name(hidden)}/output/model.tar.gz" if ok else None,
            final_metrics={
                "test:accuracy": ACCURACY[hidden],
                "test:loss": round(0.5 - ACCURACY[hidden] / 200, 4),
                "train:loss": 0.2,
            }
            if ok
            else None,
            failure_reason=None if ok else FAILURE_REASON,
            start_time=now,
            end_time=now,
        )
    transform = TRANSFORM_JOB + contract.TRANSFORM_COMPONENT_SUFFIX
    sagemaker.create_trial_component(
        TrialComponentName=transform,
        DisplayName=contract.TRANSFORM_DISPLAY_NAME,
        Status={"PrimaryStatus": "Completed"},
        InputArtifacts={
            contract.DATASET_ARTIFACT: {"Value": DATASET},
            contract.MODEL_ARTIFACT: {"Value": f"{RUN}models/{job_name(20)}/output/model.tar.gz"},
            contract.TRANSFORM_INPUT_ARTIFACT: {"Value": f"{PREPROCESSED}transform/test-images.csv"},
        },
        OutputArtifacts={contract.PREDICTIONS_ARTIFACT: {"Value": f"{RUN}transform/"}},
    )
    sagemaker.associate_trial_component(TrialComponentName=transform, TrialName=trial_name(20))
