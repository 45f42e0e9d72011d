"""The functions' MLflow client: MLflow's REST API (2.0) over the stdlib, SigV4-signed as the SageMaker plugin signs.

Why not mlflow-skinny: it would add ~30 packages (pydantic, protobuf, fastapi, opentelemetry, the
Databricks SDK) to every function's code package and seconds to each cold start, for the dozen
calls below; the REST API is MLflow's documented, versioned interface that the client wraps.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from contract import tracking

TIMEOUT_S = 10  # a tracking server that does not answer in this long is reported as a miss
PAGE_SIZE = 1000  # runs/search: "max_results ... maximum value 50000"; one page holds a 300-trial sweep


class MlflowError(Exception):
    """The tracking server refused a call or could not be reached; the message says which call and why."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code  # MLflow's error_code (RESOURCE_DOES_NOT_EXIST, ...) when the server answered


@dataclass(frozen=True)
class Endpoint:
    """Where the requests go and how they are signed."""

    url: str  # e.g. https://mlflow.sagemaker.us-east-1.app.aws, or the local cloud's server
    app_arn: str | None  # the MLflow App's ARN: signed for SageMaker, the ARN in its header
    region: str

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Endpoint | None:
        """None when MLflow tracking is off (no MLFLOW_TRACKING_URI)."""
        env = os.environ if environ is None else environ
        uri = env.get(tracking.TRACKING_URI_ENV, "")
        if not uri:
            return None
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        if uri.startswith("arn:"):
            region = uri.split(":")[3] or region
            url = env.get(tracking.CUSTOM_ENDPOINT_ENV) or tracking.app_endpoint(region)
            return cls(url=url.rstrip("/"), app_arn=uri, region=region)
        return cls(url=uri.rstrip("/"), app_arn=None, region=region)


class MlflowClient:
    """The calls the functions make: experiments, runs, their params, metrics and tags."""

    def __init__(self, endpoint: Endpoint, credentials=None) -> None:
        self.endpoint = endpoint
        self._credentials = credentials

    # --- experiments -------------------------------------------------------------------------------
    def experiment(self, name: str) -> dict | None:
        """The experiment of that name, active or deleted (a deleted one keeps its name); None when absent."""
        try:
            return self._call("GET", "experiments/get-by-name", {"experiment_name": name})["experiment"]
        except MlflowError as error:
            if error.code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise

    def experiment_id(self, name: str, *, create: bool) -> str | None:
        """The active experiment's id; with `create`, made when absent and restored when deleted
        ("delete_experiment ... can be restored"), so that a sweep after a cleanup reuses the name."""
        found = self.experiment(name)
        if found is None:
            if not create:
                return None
            try:
                return self._call("POST", "experiments/create", {"name": name})["experiment_id"]
            except MlflowError as error:
                if error.code != "RESOURCE_ALREADY_EXISTS":  # a sibling created it meanwhile
                    raise
                found = self.experiment(name)
                assert found is not None, "it exists"
        if found.get("lifecycle_stage") == "deleted":
            if not create:
                return None
            self._call("POST", "experiments/restore", {"experiment_id": found["experiment_id"]})
        return found["experiment_id"]

    def delete_experiment(self, experiment_id: str) -> None:
        self._call("POST", "experiments/delete", {"experiment_id": experiment_id})

    # --- runs ---------------------------------------------------------------------------------------
    def search_runs(self, experiment_id: str, filter_string: str = "", *, view: str = "ACTIVE_ONLY") -> list[dict]:
        runs: list[dict] = []
        token = None
        while True:
            body: dict[str, Any] = {
                "experiment_ids": [experiment_id],
                "filter": filter_string,
                "run_view_type": view,
                "max_results": PAGE_SIZE,
            }
            if token:
                body["page_token"] = token
            page = self._call("POST", "runs/search", body)
            runs.extend(page.get("runs") or [])
            token = page.get("next_page_token")
            if not token:
                return runs

    def find_run(self, experiment_id: str, filter_string: str) -> dict | None:
        """The oldest active run the filter finds (a retried call may have made two)."""
        runs = self.search_runs(experiment_id, filter_string)
        return min(runs, key=start_time) if runs else None

    def create_run(self, experiment_id: str, run_name: str, tags: dict[str, str], start_time_ms: int) -> str:
        run = self._call(
            "POST",
            "runs/create",
            {
                "experiment_id": experiment_id,
                "run_name": run_name,
                "start_time": start_time_ms,
                "tags": [{"key": k, "value": v} for k, v in tags.items()],
            },
        )
        return run["run"]["info"]["run_id"]

    def log_batch(
        self,
        run_id: str,
        *,
        params: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
        metrics: list[dict] | None = None,
    ) -> None:
        self._call(
            "POST",
            "runs/log-batch",
            {
                "run_id": run_id,
                "params": [{"key": k, "value": _cut(v, tracking.PARAM_VALUE_LIMIT)} for k, v in (params or {}).items()],
                "tags": [{"key": k, "value": _cut(v, tracking.TAG_VALUE_LIMIT)} for k, v in (tags or {}).items()],
                "metrics": metrics or [],
            },
        )

    def end_run(self, run_id: str, status: str, end_time_ms: int) -> None:
        self._call("POST", "runs/update", {"run_id": run_id, "status": status, "end_time": end_time_ms})

    def delete_run(self, run_id: str) -> None:
        self._call("POST", "runs/delete", {"run_id": run_id})

    def metric_history(self, run_id: str, key: str) -> list[dict]:
        return self._call("GET", "metrics/get-history", {"run_id": run_id, "metric_key": key}).get("metrics") or []

    # --- transport ----------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict) -> dict:
        url = f"{self.endpoint.url}/api/2.0/mlflow/{path}"
        data = None
        if method == "GET":
            url += "?" + urllib.parse.urlencode(body)
        else:
            data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self.endpoint.app_arn:
            headers[tracking.APP_ARN_HEADER] = self.endpoint.app_arn
            headers = self._signed(method, url, data, headers)
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = {"message": raw.decode(errors="replace")[:300]}
            code = answer.get("error_code", "")
            raise MlflowError(
                f"{path}: HTTP {error.code} {code} {answer.get('message', '')}".strip(), code=code
            ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise MlflowError(f"{path}: {self.endpoint.url} unreachable ({reason})") from None

    def _signed(self, method: str, url: str, data: bytes | None, headers: dict[str, str]) -> dict[str, str]:
        # As sagemaker-mlflow's AuthBoto signs: SigV4 with the function's credentials, for the App's
        # service name, the body's hash in X-Amz-Content-SHA256.
        import hashlib

        import boto3
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        credentials = self._credentials or boto3.Session().get_credentials()
        signed_headers = {**headers, "X-Amz-Content-SHA256": hashlib.sha256(data or b"").hexdigest()}
        request = AWSRequest(method=method, url=url, data=data, headers=signed_headers)
        SigV4Auth(credentials, tracking.APP_SIGNING_SERVICE, self.endpoint.region).add_auth(request)
        return dict(request.headers.items())


def start_time(run: dict) -> int:
    """A run's start (ms): the oldest of two runs a retried call made is the one kept."""
    return int(run["info"].get("start_time") or 0)


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def metric(key: str, value: float, step: int, timestamp_ms: int) -> dict:
    return {"key": key, "value": value, "step": step, "timestamp": timestamp_ms}
