"""`LocalRuntime`: where jobs and Lambdas run (run folder, endpoint, child processes), handed to every plug-in."""

from __future__ import annotations

from pathlib import Path

from local_cloud.awslambda.runtime import LambdaRuntime
from local_cloud.sagemaker.experiment_tracking import TrainingComponentTracker
from local_cloud.sagemaker.processes import ChildProcesses


class LocalRuntime:
    """The server's one runtime object: the run folder, the server's endpoint and its child processes."""

    def __init__(self, *, run_dir: Path | str, endpoint_url: str, region: str) -> None:
        self.run_dir = Path(run_dir)
        self.endpoint_url = endpoint_url
        self.children = ChildProcesses()
        self.lambdas = LambdaRuntime(
            run_dir=self.run_dir, endpoint_url=endpoint_url, region=region, children=self.children
        )

    def s3_client(self, region: str):
        """An S3 client of this cloud, for the jobs' inputs and outputs."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            region_name=region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"mode": "adaptive", "max_attempts": 5}),
        )

    def training_tracker(self, account: str, region: str) -> TrainingComponentTracker:
        """Records a training job with ExperimentConfig as SageMaker does: `<job>-aws-training-job`."""
        from local_cloud import experiments

        return TrainingComponentTracker(experiments.backend_for(account, region))
