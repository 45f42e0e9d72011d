"""Error names: those the states raise and catch, and the AWS codes every layer treats as throttling."""

from __future__ import annotations

# Raised by the Lambdas as exceptions of these class names: Step Functions shows the class name as
# the error (errorType), so the execution fails with a name an operator can act on.
INVALID_EXECUTION_INPUT = "InvalidExecutionInput"
NO_COMPLETED_TRIAL = "NoCompletedTrial"
INVALID_EVENT = "InvalidEvent"
# Raised by a Fail state when preprocessing failed (its cause is the job's failure).
PREPROCESSING_FAILED = "PreprocessingFailed"
# Raised by a Fail state when the batch transform failed (its cause is the job's failure).
TRANSFORM_FAILED = "TransformFailed"
# The caught error of a job that a job state adopted (its name was in use) and that ended Failed or
# Stopped; its cause is the job's Describe.
ADOPTED_JOB_FAILED = "AdoptedJobFailed"
# Raised by the cleanup's Fail state when its passes are spent (the cause names what is left).
CLEANUP_INCOMPLETE = "CleanupIncomplete"

# The error names the Step Functions SageMaker integration really emits (its examples in the Step
# Functions developer guide, "Create and manage Amazon SageMaker AI jobs"): the SDK's exception class
# names. A quota or capacity limit on Create*Job is "SageMaker.ResourceLimitExceededException"; every
# other API error, throttling ("Rate exceeded") as much as ValidationException, arrives as the
# catch-all "SageMaker.AmazonSageMakerException".
SAGEMAKER_CAPACITY_ERRORS = ("SageMaker.ResourceLimitExceededException",)
SAGEMAKER_API_ERRORS = ("SageMaker.AmazonSageMakerException",)

# Step Functions' Lambda invoke throttled: "When Lambda hits the maximum number of invocations, the
# error is Lambda.TooManyRequestsException" (Step Functions developer guide, "Handle Lambda service
# exceptions"); the CDK's default retrier of a LambdaInvoke does not name it.
LAMBDA_THROTTLING_ERRORS = ("Lambda.TooManyRequestsException",)

# Error codes AWS services use for "slow down" (boto3's adaptive retry mode retries them first).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "SlowDown",
    }
)
