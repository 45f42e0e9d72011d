"""The training job's MLflow run: per-epoch metrics (step = epoch) logged to the tracking server the job is given.

The job is given MLFLOW_TRACKING_URI (on AWS the MLflow App's ARN, which the sagemaker-mlflow plugin
resolves and signs for; on the local cloud its server's URL), MLFLOW_EXPERIMENT_NAME and
MLFLOW_RUN_NAME (the trial). The run is the trial's: found by its trial tag, made when absent. The
record_experiment and select_best functions complete it (parent, params, status, model). A tracking
server that is down or refuses a call never fails the job: the first miss is printed, the job stops
logging, and select_best reports the epochs the run lacks.
"""

from __future__ import annotations

import os
import time
from typing import Any

from contract import tracking

# MLflow's client retries a refused connection 7 times with backoff by default (minutes); a job
# does not wait that long for a record that the SageMaker metrics already hold.
CLIENT_SETTINGS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


class TrialRun:
    """log_epoch() after each epoch; a no-op when tracking is off or has failed once."""

    def __init__(self, log=print, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.log = log
        self.uri = env.get(tracking.TRACKING_URI_ENV, "")
        self.experiment_name = env.get(tracking.EXPERIMENT_NAME_ENV, "")
        self.trial_name = env.get(tracking.RUN_NAME_ENV, "")
        self.training_job = env.get("TRAINING_JOB_NAME", "")
        self.client: Any = None  # mlflow.tracking.MlflowClient, imported only when tracking is on
        self.run_id: str | None = None
        self.missed: str | None = None
        if self.uri and self.experiment_name and self.trial_name:
            self._guard(self._start)
        elif self.uri:
            self._miss(f"{tracking.EXPERIMENT_NAME_ENV} or {tracking.RUN_NAME_ENV} not set")

    @property
    def active(self) -> bool:
        return self.run_id is not None and self.missed is None

    def log_epoch(self, epoch: int, metrics: dict[str, float]) -> None:
        if not self.active:
            return
        self._guard(lambda: self._log(epoch, metrics))

    def _start(self) -> None:
        for name, value in CLIENT_SETTINGS.items():
            os.environ.setdefault(name, value)
        from mlflow.entities import ViewType
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(tracking_uri=self.uri)
        experiment = self.client.get_experiment_by_name(self.experiment_name)
        experiment_id = experiment.experiment_id if experiment else self.client.create_experiment(self.experiment_name)
        runs = self.client.search_runs(
            [experiment_id], tracking.trial_filter(self.trial_name), run_view_type=ViewType.ACTIVE_ONLY
        )
        if runs:  # a spot resume, or a run the functions made: the oldest is the trial's
            self.run_id = min(runs, key=lambda run: run.info.start_time).info.run_id
        else:
            tags = {tracking.TRIAL_TAG: self.trial_name}
            if self.training_job:
                tags[tracking.TRAINING_JOB_TAG] = self.training_job
            self.run_id = self.client.create_run(experiment_id, tags=tags, run_name=self.trial_name).info.run_id
        self.log(f"MLflow: logging the epochs to run {self.run_id} of experiment {self.experiment_name}")

    def _log(self, epoch: int, metrics: dict[str, float]) -> None:
        from mlflow.entities import Metric

        assert self.client is not None and self.run_id is not None
        stamp = int(time.time() * 1000)
        self.client.log_batch(
            self.run_id,
            metrics=[Metric(key=k, value=float(v), timestamp=stamp, step=epoch) for k, v in metrics.items()],
        )

    def _guard(self, call) -> None:
        try:
            call()
        except Exception as error:  # noqa: BLE001 - whatever the tracking server did, training goes on
            self._miss(f"{type(error).__name__}: {error}")

    def _miss(self, reason: str) -> None:
        self.missed = reason
        self.log(f"MLflow: not recording this job's metrics ({reason[:500]})")
