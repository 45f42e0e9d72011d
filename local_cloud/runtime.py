"""`LocalRuntime`: where jobs and Lambdas run (run folder, endpoint, child processes), handed to every plug-in."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from local_cloud.awslambda.runtime import FunctionPackage, Invocation, LambdaRuntime
from local_cloud.sagemaker.experiment_tracking import JobComponentTracker, TrainingComponentTracker
from local_cloud.sagemaker.processes import ChildProcesses
from local_cloud.sagemaker.spot import SpotMarket


class Lambdas(Protocol):
    """What runs an invoked function: `LambdaRuntime` (warm execution environments) or a stand-in."""

    def invoke(self, function: FunctionPackage, event: bytes) -> Invocation: ...


# (context, kind, request, model=DescribeModel of a transform's model, tracker=the training job's
# Experiments record) -> the job's final Describe*Job response. None: local_cloud/sagemaker runs it.
JobRunner = Callable[..., dict]


class LocalRuntime:
    """The server's one runtime object: the run folder, the server's endpoint and its child processes."""

    def __init__(
        self,
        *,
        run_dir: Path | str,
        endpoint_url: str | None,
        region: str,
        lambdas: Lambdas | None = None,
        job_runner: JobRunner | None = None,
        spot_market: SpotMarket | None = None,
    ) -> None:
        """`lambdas`, `job_runner`: stand-ins for the function processes and the job processes
        (tests/cli runs the handlers in-process and finishes jobs at once); by default both run
        as child processes. `spot_market`: the planned spot interruptions (none by default).
        `endpoint_url` None: the SDK's own endpoints (in-process moto)."""
        self.run_dir = Path(run_dir)
        self.endpoint_url = endpoint_url
        self.children = ChildProcesses()
        self.lambdas: Lambdas = lambdas or LambdaRuntime(
            run_dir=self.run_dir, endpoint_url=endpoint_url or "", region=region, children=self.children
        )
        self.job_runner = job_runner
        self.spot_market = spot_market or SpotMarket()
        from local_cloud.sagemaker.jobs_api import LocalJobs  # it runs jobs in this runtime

        self.jobs = LocalJobs(self)
        self._throttles: dict[str, int] = {}  # function name fragment -> invokes still to refuse
        self._throttle_lock = threading.Lock()

    # --- test knob ----------------------------------------------------------------------------------
    def throttle_lambda(self, name_fragment: str, times: int) -> None:
        """Refuse the next `times` invokes of functions whose name holds `name_fragment` with
        TooManyRequestsException, as Lambda does past a function's concurrency (no concurrency is
        counted here otherwise)."""
        with self._throttle_lock:
            self._throttles[name_fragment] = times

    def throttled(self, function_name: str) -> bool:
        """Whether this invoke of `function_name` is refused (and counted), per `throttle_lambda`."""
        with self._throttle_lock:
            for fragment, left in self._throttles.items():
                if left > 0 and fragment in function_name:
                    self._throttles[fragment] = left - 1
                    return True
        return False

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

    def job_tracker(self, account: str, region: str) -> JobComponentTracker:
        """Records a processing or transform job with ExperimentConfig as SageMaker does."""
        from local_cloud import experiments

        return JobComponentTracker(experiments.backend_for(account, region))
