"""The jobs image, built from jobs/Dockerfile at `cdk deploy` and pushed to the stack's repository."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_ecr_assets as ecr_assets
from constructs import Construct

JOBS_DIR = Path(__file__).resolve().parents[2] / "jobs"


class JobsImage(Construct):
    """A Docker image asset; the pipeline stack's synthesizer sends it to the jobs repository.

    The tag is the asset's content hash, so every deploy that changes jobs/ produces a new
    immutable tag and every job state references exactly the image that deploy pushed.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.asset = ecr_assets.DockerImageAsset(
            self,
            "Asset",
            directory=str(JOBS_DIR),
            file="Dockerfile",
            # SageMaker ml.m5/c5 instances are x86_64, whatever the deployer's machine is.
            platform=ecr_assets.Platform.LINUX_AMD64,
            exclude=["__pycache__", "*.pyc", "README.md"],
        )
        self.image_uri = self.asset.image_uri
