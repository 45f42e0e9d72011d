"""Runs a SageMaker Processing job (CreateProcessingJob) as a local process in its /opt/ml folder."""

from __future__ import annotations

import json

from local_cloud.sagemaker.job_run import (
    HOST,
    JobContext,
    JobRun,
    api_access,
    base_environment,
    container_command,
    in_root,
    read_failure,
    required,
)
from local_cloud.sagemaker.processes import MAX_RUNTIME, STOPPED, run_process
from local_cloud.sagemaker.s3_io import download_prefix, upload_folder


def run_processing_job(context: JobContext, request: dict) -> dict:
    """Inputs downloaded, the container's entrypoint run, outputs uploaded; returns DescribeProcessingJob."""
    name = required(request, "ProcessingJobName")
    app = required(request, "AppSpecification")
    # Without ContainerEntrypoint the image's ENTRYPOINT runs with the ContainerArguments.
    command = container_command(app.get("ContainerEntrypoint"), app.get("ContainerArguments"), context.entrypoint)
    with JobRun(context, "processing", name, request) as run:
        run.note(f"processing job {name}: {' '.join(command)}")
        root = run.root
        for item in request.get("ProcessingInputs", []):
            source = item.get("S3Input")
            if source:
                download_prefix(context.s3, source["S3Uri"], in_root(source["LocalPath"], root))
        outputs = request.get("ProcessingOutputConfig", {}).get("Outputs", [])
        for item in outputs:
            in_root(item["S3Output"]["LocalPath"], root).mkdir(parents=True, exist_ok=True)
        config_dir = root / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "processingjobconfig.json").write_text(json.dumps(request, default=str))
        (config_dir / "resourceconfig.json").write_text(json.dumps({"current_host": HOST, "hosts": [HOST]}))
        isolated = bool((request.get("NetworkConfig") or {}).get("EnableNetworkIsolation"))
        env = {**base_environment(root), **api_access(context, isolated), **(request.get("Environment") or {})}
        max_runtime = request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
        code, ended_by = run_process(
            context.children,
            command,
            env=env,
            cwd=root,
            log=run.log,
            max_runtime_s=max_runtime,
            watch=lambda: STOPPED if context.stop_requested.is_set() else None,
        )
        if ended_by == STOPPED:
            run.stopped()
        elif ended_by == MAX_RUNTIME:
            run.fail(f"MaxRuntimeExceeded: the job ran longer than {max_runtime} s")
        elif code != 0:
            run.fail("AlgorithmError: " + read_failure(root, f"exit code {code}; see {run.log}"))
        else:
            for item in outputs:
                upload_folder(context.s3, in_root(item["S3Output"]["LocalPath"], root), item["S3Output"]["S3Uri"])
    # DescribeProcessingJob: "ExitMessage - An optional string, up to one KB in size, that contains
    # metadata from the processing container when the processing job exits."
    return run.finish(lambda ended: {"ExitMessage": run.reason} if run.reason else {})
