"""Runs a SageMaker batch Transform job (CreateTransformJob): the model server as a process, records POSTed to it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import contract
from local_cloud.cloud import free_port
from local_cloud.sagemaker.job_run import JobContext, JobRequestError, JobRun, base_environment, required
from local_cloud.sagemaker.processes import terminate
from local_cloud.sagemaker.s3_io import download_prefix, extract_tarball, split_s3_uri
from local_cloud.sagemaker.transform_client import TransformError, invoke, wait_until_serving

MIB = 1024 * 1024
# CreateTransformJob: "MaxPayloadInMB ... The default value is 6 MB."
DEFAULT_MAX_PAYLOAD_MB = 6


def run_transform_job(context: JobContext, request: dict, model: dict) -> dict:
    """`model`: the DescribeModel response of request["ModelName"]. Returns DescribeTransformJob."""
    name = required(request, "TransformJobName")
    with JobRun(context, "transform", name, request) as run:
        required(request, "TransformInput")
        required(request, "TransformOutput")
        container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
        inputs = _stage(run, request, container)
        port = free_port()
        server = _start_model_server(run, request, container, port)
        try:
            endpoint = f"http://{contract.LOOPBACK_HOST}:{port}"
            wait_until_serving(endpoint, server)
            for path in inputs:
                if context.stop_requested.is_set():  # StopTransformJob: no further input file is sent
                    run.stopped()
                    break
                _transform_file(run, request, endpoint, path)
        finally:
            terminate(server)
            context.children.reap(server)
    return run.finish()


def _stage(run: JobRun, request: dict, container: dict) -> list[Path]:
    """The model unpacked into /opt/ml/model and the input objects downloaded; the input files."""
    model_data = container.get("ModelDataUrl")
    if not model_data:
        raise JobRequestError(f"model {request.get('ModelName')} has no ModelDataUrl")
    model_dir = contract.ContainerPaths(run.root).model
    model_dir.mkdir(parents=True)
    extract_tarball(run.context.s3, model_data, model_dir)
    source = request["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
    inputs = download_prefix(run.context.s3, source, run.root / "transform-input")
    if not inputs:
        raise JobRequestError(f"no input objects under {source}")
    return inputs


def _start_model_server(run: JobRun, request: dict, container: dict, port: int) -> subprocess.Popen:
    """`python -m jobs serve` with the model's and the job's environment, as SageMaker starts the container."""
    env = {
        **base_environment(run.root),
        **(container.get("Environment") or {}),
        **(request.get("Environment") or {}),
        contract.SERVING_PORT_ENV: str(port),
        # The image listens on every interface, as SageMaker needs; on this host, the loopback only.
        contract.SERVING_HOST_ENV: contract.LOOPBACK_HOST,
        "SAGEMAKER_BATCH": "true",
        "SAGEMAKER_MAX_PAYLOAD_IN_MB": str(request.get("MaxPayloadInMB", DEFAULT_MAX_PAYLOAD_MB)),
    }
    run.note(
        f"transform job {run.name}: model server on {contract.LOOPBACK_HOST}:{port} for {container.get('ModelDataUrl')}"
    )
    with run.log.open("ab") as out:
        return run.context.children.start(
            [*run.context.entrypoint, contract.SERVE_ARGUMENT],
            cwd=run.root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def _transform_file(run: JobRun, request: dict, endpoint: str, path: Path) -> None:
    """One input file split, batched, POSTed and assembled into `<S3OutputPath>/<file>.out`."""
    transform_input, transform_output = request["TransformInput"], request["TransformOutput"]
    relative = path.relative_to(run.root / "transform-input").as_posix()
    records = split_records(path.read_bytes(), transform_input.get("SplitType", "None"))
    batches = batch_records(
        records,
        request.get("BatchStrategy", "MultiRecord"),
        int(request.get("MaxPayloadInMB", DEFAULT_MAX_PAYLOAD_MB)) * MIB,
        joiner=b"\n" if transform_input.get("SplitType") == "Line" else b"",
    )
    results = [
        invoke(endpoint, batch, content_type=transform_input.get("ContentType"), accept=transform_output.get("Accept"))
        for batch in batches
    ]
    body = assemble(results, transform_output.get("AssembleWith", "None"))
    out_bucket, out_prefix = split_s3_uri(transform_output["S3OutputPath"])
    out_key = (out_prefix.rstrip("/") + "/" if out_prefix else "") + relative + ".out"
    staged = run.root / "transform-output" / (relative + ".out")
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.write_bytes(body)
    run.context.s3.upload_file(str(staged), out_bucket, out_key)
    run.note(f"{relative}: {len(records)} record(s) in {len(batches)} request(s) -> s3://{out_bucket}/{out_key}")


def split_records(data: bytes, split_type: str) -> list[bytes]:
    if split_type == "Line":
        return [line for line in data.split(b"\n") if line.strip()]
    if split_type in ("None", None):
        return [data]
    raise JobRequestError(f"TransformInput.SplitType {split_type!r} is not supported locally (Line, None)")


def batch_records(records: list[bytes], strategy: str, max_payload: int, *, joiner: bytes) -> list[bytes]:
    """Mini-batches as SageMaker forms them: as many records as fit in MaxPayloadInMB (MultiRecord)."""
    if strategy == "SingleRecord":
        batches = list(records)
    elif strategy == "MultiRecord":
        current: list[bytes] = []
        batches, size = [], 0
        for record in records:
            extra = len(record) + (len(joiner) if current else 0)
            if current and size + extra > max_payload:
                batches.append(joiner.join(current))
                current, size = [], 0
                extra = len(record)
            current.append(record)
            size += extra
        if current:
            batches.append(joiner.join(current))
    else:
        raise JobRequestError(f"BatchStrategy {strategy!r} must be MultiRecord or SingleRecord")
    for batch in batches:
        if len(batch) > max_payload:
            raise TransformError(f"ClientError: a record of {len(batch)} bytes exceeds MaxPayloadInMB")
    return batches


def assemble(results: list[bytes], assemble_with: str) -> bytes:
    if assemble_with == "Line":
        return b"".join(r if r.endswith(b"\n") else r + b"\n" for r in results if r)
    return b"".join(results)
