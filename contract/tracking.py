"""MLflow tracking: the environment that names the tracking server, and the run names and tags every layer uses."""

from __future__ import annotations

# --- Where the tracking server is -------------------------------------------------------------------
# MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_NAME and MLFLOW_RUN_NAME are MLflow's own variables. The
# functions get the MLflow App's ARN in MLFLOW_TRACKING_URI (infra/constructs/functions.py); a
# training job gets it with its experiment and run names in its Environment, beside MlflowConfig.
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
EXPERIMENT_NAME_ENV = "MLFLOW_EXPERIMENT_NAME"
RUN_NAME_ENV = "MLFLOW_RUN_NAME"
# The SageMaker MLflow plugin (sagemaker-mlflow 0.5.0, mlflow_sagemaker_helpers.py) sends the requests
# of an ARN tracking URI to this endpoint when it is set: the local cloud points it at its MLflow server.
CUSTOM_ENDPOINT_ENV = "SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT"
# The MLflow App's data plane, as the plugin builds it: https://mlflow.sagemaker.<region>.app.aws,
# SigV4-signed for service "sagemaker", the App's ARN in this header.
APP_ARN_HEADER = "x-sm-mlflow-app-arn"
APP_SIGNING_SERVICE = "sagemaker"
ARTIFACTS_PREFIX = "mlflow/"  # the artifact store, under the project's bucket


def app_endpoint(region: str) -> str:
    return f"https://mlflow.sagemaker.{region}.app.aws"


# --- Runs and tags ------------------------------------------------------------------------------------
# An execution is a parent run named after it in the MLflow experiment named like the SageMaker
# experiment; each trial a nested run named after the trial (MLflow nests a run by the tag
# mlflow.parentRunId); the preprocessing and the batch transform nested runs of those names.
PREPROCESSING_RUN_NAME = "preprocessing"
TRANSFORM_RUN_NAME = "transform"
PARENT_RUN_TAG = "mlflow.parentRunId"
RUN_NAME_TAG = "mlflow.runName"
EXECUTION_TAG = "sagemaker.execution"
# The execution's short id (contract.names.run_id, hex): what a search finds the parent run by, as an
# execution name may hold a quote, which a filter string cannot.
EXECUTION_ID_TAG = "sagemaker.executionId"
TRIAL_TAG = "sagemaker.trial"
TRAINING_JOB_TAG = "sagemaker.trainingJob"
PROCESSING_JOB_TAG = "sagemaker.processingJob"
STATUS_TAG = "sagemaker.status"
FAILURE_REASON_TAG = "sagemaker.failureReason"
MODEL_ARTIFACT_TAG = "sagemaker.modelArtifact"
BEST_TRIAL_TAG = "best.trial"
BEST_METRIC_TAG = "best.metric"
BEST_VALUE_TAG = "best.value"
TRANSFORM_JOB_TAG = "sagemaker.transformJob"
TRANSFORM_OUTPUT_TAG = "sagemaker.transformOutput"
# MLflow's limits (REST API, "Request Limits"): a tag value holds at most 8000 characters, a param 6000.
TAG_VALUE_LIMIT = 8000
PARAM_VALUE_LIMIT = 6000
# Run statuses (RunStatus) this project sets.
RUN_FINISHED = "FINISHED"
RUN_FAILED = "FAILED"


def end_status(succeeded: bool) -> str:
    return RUN_FINISHED if succeeded else RUN_FAILED


def trial_filter(trial_name: str) -> str:
    """The runs/search filter that finds a trial's run (a dotted tag key is quoted with backticks)."""
    return f"tags.`{TRIAL_TAG}` = '{trial_name}'"


def nested_filter(run_name: str, tag: str, value: str) -> str:
    """A nested run of a fixed name (preprocessing, transform) by its job's tag: the name as well, since the
    parent run carries some of the same tags (the transform's job and output)."""
    return f"attributes.run_name = '{run_name}' and tags.`{tag}` = '{value}'"


def execution_filter(execution_id: str) -> str:
    return f"tags.`{EXECUTION_ID_TAG}` = '{execution_id}'"
