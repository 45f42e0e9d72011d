"""The SM_* environment of a training job, as the SageMaker training toolkit sets it inside the container."""

from __future__ import annotations

import json
import os
from pathlib import Path

import contract
from local_cloud.sagemaker.job_run import HOST


def training_environment(
    root: Path, request: dict, channels: list[str], job_arn: str, cpus: int | None = None
) -> dict[str, str]:
    """The SM_* variables as the SageMaker training toolkit sets them, pointing inside `root`."""
    paths = contract.ContainerPaths(root)
    hyperparameters = request.get("HyperParameters") or {}
    resources = request.get("ResourceConfig", {})
    cpus = cpus or os.cpu_count() or 1
    resource_config = {
        "current_host": HOST,
        "hosts": [HOST],
        "network_interface_name": "eth0",
        "current_instance_type": resources.get("InstanceType", "local"),
        "current_group_name": "homogeneousCluster",
        "instance_groups": [
            {
                "instance_group_name": "homogeneousCluster",
                "instance_type": resources.get("InstanceType", "local"),
                "hosts": [HOST],
            }
        ],
    }
    input_data_config = {
        c["ChannelName"]: {
            "TrainingInputMode": request.get("AlgorithmSpecification", {}).get("TrainingInputMode", "File"),
            "S3DistributionType": c.get("DataSource", {})
            .get("S3DataSource", {})
            .get("S3DataDistributionType", "FullyReplicated"),
            "RecordWrapperType": c.get("RecordWrapperType", "None"),
        }
        for c in request.get("InputDataConfig", [])
    }
    env = {
        "TRAINING_JOB_NAME": request["TrainingJobName"],
        "TRAINING_JOB_ARN": job_arn,
        "SM_MODEL_DIR": str(paths.model),
        "SM_INPUT_DIR": str(root / "input"),
        "SM_INPUT_CONFIG_DIR": str(root / "input" / "config"),
        "SM_OUTPUT_DIR": str(root / "output"),
        "SM_OUTPUT_DATA_DIR": str(paths.output_data),
        "SM_OUTPUT_INTERMEDIATE_DIR": str(root / "output" / "intermediate"),
        "SM_CHANNELS": json.dumps(sorted(channels)),
        "SM_HPS": json.dumps(hyperparameters),
        "SM_HOSTS": json.dumps([HOST]),
        "SM_CURRENT_HOST": HOST,
        "SM_CURRENT_INSTANCE_TYPE": resource_config["current_instance_type"],
        "SM_NETWORK_INTERFACE_NAME": "eth0",
        "SM_NUM_CPUS": str(cpus),
        "SM_NUM_GPUS": "0",
        "SM_NUM_NEURONS": "0",
        "SM_LOG_LEVEL": "20",
        "SM_USER_ARGS": json.dumps([f"--{k}" if i % 2 == 0 else v for k, v in hyperparameters.items() for i in (0, 1)]),
        "SM_RESOURCE_CONFIG": json.dumps(resource_config),
        "SM_INPUT_DATA_CONFIG": json.dumps(input_data_config),
        "SM_FRAMEWORK_PARAMS": "{}",
    }
    for channel in channels:
        env[f"SM_CHANNEL_{channel.upper()}"] = str(paths.channel(channel))
    for key, value in hyperparameters.items():
        env[f"SM_HP_{key.upper()}"] = str(value)
    env["SM_TRAINING_ENV"] = json.dumps(
        {
            "job_name": request["TrainingJobName"],
            "hosts": [HOST],
            "current_host": HOST,
            "channel_input_dirs": {c: str(paths.channel(c)) for c in channels},
            "hyperparameters": hyperparameters,
            "model_dir": str(paths.model),
            "output_data_dir": str(paths.output_data),
            "input_dir": str(root / "input"),
            "output_dir": str(root / "output"),
            "num_cpus": cpus,
            "num_gpus": 0,
            "resource_config": resource_config,
            "input_data_config": input_data_config,
        }
    )
    return env
