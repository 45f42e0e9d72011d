"""The jobs image, built from jobs/Dockerfile at `cdk deploy` and pushed to the stack's repository."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import IgnoreMode
from aws_cdk import aws_ecr_assets as ecr_assets
from constructs import Construct

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The build context is the project root cut down to the two packages the image runs: jobs/ and
# the contract it imports. Anything else (tests, docs, caches) never changes the image's hash.
IMAGE_EXCLUDES = [
    "*",
    "!jobs/",
    "!jobs/**",
    "!contract/",
    "!contract/**",
    "**/__pycache__",
    "**/*.pyc",
    "jobs/README.md",
]


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
            directory=str(PROJECT_ROOT),
            file="jobs/Dockerfile",
            # SageMaker ml.m5/c5 instances are x86_64, whatever the deployer's machine is.
            platform=ecr_assets.Platform.LINUX_AMD64,
            exclude=IMAGE_EXCLUDES,
            ignore_mode=IgnoreMode.GIT,
        )
        self.image_uri = self.asset.image_uri
