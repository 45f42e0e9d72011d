"""Where a failed execution points, and the demo's join of batch predictions with the true labels."""

import csv
import json

import boto3
from moto import mock_aws

from local_cloud.demo import _transform_sample
from local_cloud.run_logs import describe_failure, failure_logs


def test_failures_point_at_the_job_and_lambda_logs(tmp_path):
    job_log = tmp_path / "logs" / "training-jobs" / "exp-train-3.log"
    lambda_log = tmp_path / "logs" / "lambda" / "Fn" / "20261129T010203.000000-abcd1234.log"
    for path in (job_log, lambda_log):
        path.parent.mkdir(parents=True)
        path.write_text("boom")
    history = [
        {
            "type": "TaskFailed",
            "taskFailedEventDetails": {
                "error": "States.TaskFailed",
                "resource": "createTrainingJob.sync",
                "cause": json.dumps({"TrainingJobName": "exp-train-3"}),
            },
        },
        {
            "type": "TaskFailed",
            "taskFailedEventDetails": {
                "error": "NoCompletedTrial",
                "resource": "invoke",
                "cause": json.dumps({"requestId": "abcd1234-5678"}),
            },
        },
        {
            "type": "ExecutionFailed",
            "executionFailedEventDetails": {
                "error": "NoCompletedTrial",
                "cause": json.dumps({"requestId": "abcd1234-5678"}),
            },
        },
    ]
    assert [path for _, path in failure_logs(tmp_path, history)] == [job_log, lambda_log]
    assert str(job_log) in describe_failure(tmp_path, history)
    assert "every job and Lambda log" in describe_failure(tmp_path, [])


def test_transform_sample_joins_predictions_with_labels(tmp_path):
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="report-bucket")
        s3.put_object(
            Bucket="report-bucket",
            Key="runs/e/x/transform/test-images.csv.out",
            Body="".join(json.dumps({"label": p, "probabilities": [0.1] * 9 + [0.9]}) + "\n" for p in (1, 2, 3)),
        )
        s3.put_object(Bucket="report-bucket", Key="runs/e/x/preprocessed/transform/test-labels.csv", Body="1\n2\n4\n")
        result = {"transform": {"outputS3Uri": "s3://report-bucket/runs/e/x/transform/"}}
        accuracy = _transform_sample(s3, "report-bucket", result, tmp_path / "sample.csv")
    assert (accuracy["records"], accuracy["correct"]) == (3, 2)
    rows = list(csv.reader((tmp_path / "sample.csv").open()))
    assert rows[0] == ["record", "true_label", "predicted_label", "probability", "correct"]
    assert rows[3] == ["2", "4", "3", "0.9000", "False"]
