"""Managed spot, emulated: which training jobs the local cloud interrupts and when (LOCAL_CLOUD_SPOT_INTERRUPTIONS).

A spot instance can be reclaimed at any moment; SageMaker then restarts the same job on a new
instance, which restores /opt/ml/checkpoints from CheckpointConfig.S3Uri ("Spot instances interrupted
once. Later, enough spot instances were acquired to finish the training job. InProgress: Starting ->
Downloading -> Training -> Interrupted -> Starting -> Downloading -> Training -> Uploading",
model-managed-spot-training-status). Here nothing reclaims instances, so the interruptions are
planned: `{"<TrainingJobName>": {"afterCheckpoint": "<file name pattern>", "capacityWaitSeconds": 2}}`
interrupts that job (EnableManagedSpotTraining true) once, as soon as a checkpoint file whose name
matches the pattern has been synced to S3, and restarts it after the wait for capacity.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass

SPOT_INTERRUPTIONS_ENV = "LOCAL_CLOUD_SPOT_INTERRUPTIONS"
INTERRUPTED = "Interrupted"  # the secondary status, and why run_process ended the attempt


@dataclass(frozen=True)
class SpotInterruption:
    after_checkpoint: str  # fnmatch pattern of a checkpoint file name (relative to the checkpoint folder)
    capacity_wait_s: float = 2.0  # time without an instance: counted in TrainingTimeInSeconds, not billed


class SpotMarket:
    """The planned interruptions, each taken once by the job it names."""

    def __init__(self, plan: Mapping[str, SpotInterruption] | None = None) -> None:
        self._lock = threading.Lock()
        self._pending = dict(plan or {})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> SpotMarket:
        text = environ.get(SPOT_INTERRUPTIONS_ENV, "")
        if not text:
            return cls()
        try:
            raw = json.loads(text)
            return cls(
                {
                    job: SpotInterruption(str(spec["afterCheckpoint"]), float(spec.get("capacityWaitSeconds", 2.0)))
                    for job, spec in raw.items()
                }
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(
                f"{SPOT_INTERRUPTIONS_ENV} must be JSON like "
                '{"job": {"afterCheckpoint": "checkpoint-epoch-0001.pt", "capacityWaitSeconds": 2}}: ' + str(error)
            ) from None

    def take(self, job_name: str) -> SpotInterruption | None:
        with self._lock:
            return self._pending.pop(job_name, None)
