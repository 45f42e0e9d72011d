"""One Experiments backend per account and region, kept in a moto `BackendDict` so that moto's reset clears it."""

from __future__ import annotations

from moto.core.base_backend import BackendDict, BaseBackend

from local_cloud.experiments.backend import ExperimentsBackend


class _RegionExperiments(BaseBackend):
    """moto's unit of state for a service in one account and region; ours holds the Experiments backend.

    moto's `BackendDict.reset()` (run by every `mock_aws()` start and the server's /moto-api/reset)
    resets every BackendDict in use, this one included, so no reset needs patching.
    """

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.api = ExperimentsBackend(account_id, region_name)


# "sagemaker": the regions are SageMaker's, as for moto's own sagemaker_backends.
_backends: BackendDict[_RegionExperiments] = BackendDict(_RegionExperiments, "sagemaker")


def backend_for(account_id: str, region: str) -> ExperimentsBackend:
    """The experiments backend of an account and region (created on first use)."""
    return _backends[account_id][region].api


def reset_backends() -> None:
    """Forget every record of every account and region (moto's reset does the same, with the rest of moto)."""
    _backends.clear()
