"""SageMaker Experiments records: display names, component name suffixes and artifact names."""

from __future__ import annotations

import math

# --- SageMaker Experiments records (the Lambdas write them, the CLI's lineage reads them) -------
PREPROCESSING_DISPLAY_NAME = "Preprocessing"
TRAINING_DISPLAY_NAME = "Training"
TRANSFORM_DISPLAY_NAME = "Transform"
# SageMaker names the component of a training job started with ExperimentConfig
# `<TrainingJobName>-aws-training-job` and records the model as output artifact SageMaker.ModelArtifact.
TRAINING_COMPONENT_SUFFIX = "-aws-training-job"
SAGEMAKER_MODEL_ARTIFACT = "SageMaker.ModelArtifact"
# Likewise `<TransformJobName>-aws-transform-job` and `<ProcessingJobName>-aws-processing-job` for a
# transform or processing job started with ExperimentConfig (the SageMaker SDK's lineage code loads a
# processing job's component as `processing_job_name + "-aws-processing-job"`), with input artifact
# SageMaker.TransformInput, output artifact SageMaker.TransformOutput and the model's S3 URI as parameter
# SageMaker.ModelPrimary.DataUrl.
TRANSFORM_COMPONENT_SUFFIX = "-aws-transform-job"
PROCESSING_COMPONENT_SUFFIX = "-aws-processing-job"
SAGEMAKER_TRANSFORM_INPUT_ARTIFACT = "SageMaker.TransformInput"
SAGEMAKER_TRANSFORM_OUTPUT_ARTIFACT = "SageMaker.TransformOutput"
SAGEMAKER_MODEL_DATA_PARAMETER = "SageMaker.ModelPrimary.DataUrl"
# Preprocessing outputs: PROCESSING_OUTPUTS names (train, test, transform, stats) -> their prefixes.


def job_hyperparameter(text: object) -> dict:
    """A job's hyperparameter as the job's trial component records it: CreateTrainingJob takes every
    hyperparameter as text, and SageMaker records the ones that read as numbers as NumberValue (the
    MNIST notebook's deploy cell reads `str(int(best_trial_component.parameters['hidden_channels']))`:
    a float), the rest as StringValue. The Lambdas record a job that never started the same way."""
    text = str(text)
    try:
        number = float(text)
    except ValueError:
        return {"StringValue": text}
    return {"NumberValue": number} if math.isfinite(number) else {"StringValue": text}
