"""`compare`'s costs: training and billable seconds per trial (DescribeTrainingJob), spot savings, totals."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber
from rich.console import Console

from ops import trial_analytics
from ops.trial_analytics import TrialRow


def _rows() -> list[TrialRow]:
    return [
        TrialRow("sweep-trial-1", "c1", "sweep-train-1", "Completed", {"hidden_channels": 2}, {"test:accuracy": 90.0}),
        TrialRow("sweep-trial-2", "c2", "sweep-train-2", "Completed", {"hidden_channels": 5}, {"test:accuracy": 95.0}),
        TrialRow("sweep-trial-3", "c3", "sweep-train-3", "Failed", {"hidden_channels": 9}, {}, "CapacityError: ..."),
    ]


def _with_costs() -> list[TrialRow]:
    sagemaker = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    rows = _rows()
    with Stubber(sagemaker) as stub:
        for name, training, billable in (("sweep-train-1", 100, 40), ("sweep-train-2", 300, 300)):
            stub.add_response(
                "describe_training_job",
                _described(name, training, billable),
                {"TrainingJobName": name},
            )
        stub.add_client_error(
            "describe_training_job",
            "ValidationException",
            "Requested resource not found.",
            400,
            expected_params={"TrainingJobName": "sweep-train-3"},
        )
        trial_analytics.add_costs(sagemaker, rows)
        stub.assert_no_pending_responses()
    return rows


def _described(name: str, training: int, billable: int) -> dict:
    import datetime as dt

    when = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    return {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/m.tar.gz"},
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "img"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "CreationTime": when,
        "TrainingTimeInSeconds": training,
        "BillableTimeInSeconds": billable,
    }


def test_each_trial_shows_its_training_and_billable_seconds_and_spot_savings():
    rows = _with_costs()

    assert [(r.training_seconds, r.billable_seconds) for r in rows] == [(100, 40), (300, 300), (None, None)]
    # (1 - BillableTimeInSeconds / TrainingTimeInSeconds) * 100, as the API reference defines the savings.
    assert [r.spot_savings_percent for r in rows] == [60.0, 0.0, None]
    assert trial_analytics.cost_totals(rows) == (
        "cost: 400 s training, 340 s billable, spot savings 15% (2 of 3 trials)"
    )


def test_the_costs_fit_an_80_column_terminal_as_totals_when_the_columns_do_not():
    rows = _with_costs()
    wide = _render(rows, 140)
    narrow = _render(rows, 80)

    assert "billable s" in wide and "spot %" in wide
    # The caption wraps at the table's width, as the shared hyperparameters' line does.
    assert "cost: 400 s training, 340 s billable, spot savings 15% (2 of 3 trials)" in " ".join(narrow.split())
    assert "billable s" not in narrow.split("(left out")[0]
    assert max(len(line) for line in narrow.splitlines()) <= 80


def _render(rows: list[TrialRow], width: int) -> str:
    console = Console(width=width, record=True, force_terminal=False)
    console.print(
        trial_analytics.render_table(rows, experiment="sweep", objective="test:accuracy", goal="Maximize", width=width)
    )
    return console.export_text()
