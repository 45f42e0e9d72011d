"""SageMaker Experiments records: display names, component name suffixes and artifact names."""

from __future__ import annotations

# --- SageMaker Experiments records (the Lambdas write them, the CLI's lineage reads them) -------
PREPROCESSING_DISPLAY_NAME = "Preprocessing"
TRAINING_DISPLAY_NAME = "Training"
TRANSFORM_DISPLAY_NAME = "Transform"
# SageMaker names the component of a training job started with ExperimentConfig
# `<TrainingJobName>-aws-training-job` and records the model as output artifact SageMaker.ModelArtifact.
TRAINING_COMPONENT_SUFFIX = "-aws-training-job"
SAGEMAKER_MODEL_ARTIFACT = "SageMaker.ModelArtifact"
# The transform component the transform recorder creates: `<TransformJobName>-component`.
TRANSFORM_COMPONENT_SUFFIX = "-component"
# Artifact names (values are S3 URIs, media type "s3/uri"):
DATASET_ARTIFACT = "dataset"  # input of Preprocessing and Transform: the raw dataset prefix
# Preprocessing outputs: PROCESSING_OUTPUTS names (train, test, transform, stats) -> their prefixes.
MODEL_ARTIFACT = "model"  # input of Transform: the best trial's model.tar.gz
TRANSFORM_INPUT_ARTIFACT = "transform-input"  # input of Transform: test-images.csv
PREDICTIONS_ARTIFACT = "predictions"  # output of Transform: the batch transform output prefix
