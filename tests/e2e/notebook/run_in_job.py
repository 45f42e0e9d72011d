"""A Run around a training job, the SDK 2.x way of seeds/000: `with Run(...)`, then `estimator.fit()` inside it.

Run by tests/e2e/test_notebook_sdk.py in .venv-sdk against the local cloud (AWS_ENDPOINT_URL). The job
runs tests/e2e/notebook/job_script.py with this interpreter (AlgorithmSpecification.ContainerEntrypoint),
which logs to the same run with `load_run()`. argv: experiment, run name, role ARN, S3 output path.
Prints the run's and the job's records as one JSON line.
"""

import json
import sys
from pathlib import Path

import boto3
from sagemaker.estimator import Estimator
from sagemaker.experiments.run import Run
from sagemaker.session import Session

experiment_name, run_name, role, output_path = sys.argv[1:5]
JOB_SCRIPT = str(Path(__file__).with_name("job_script.py"))
session = Session(boto3.session.Session())

with Run(experiment_name=experiment_name, run_name=run_name, sagemaker_session=session) as run:
    run.log_parameter("launched_from", "notebook")
    estimator = Estimator(
        image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/jobs:latest",
        role=role,
        instance_count=1,
        instance_type="ml.m5.large",
        container_entry_point=[sys.executable, JOB_SCRIPT],
        hyperparameters={"epochs": 3},
        output_path=output_path,
        sagemaker_session=session,
    )
    # Inside the run's context the estimator passes the run's ExperimentConfig (RunName) to the job;
    # it waits, printing the job's secondary statuses (its log lines are files, not CloudWatch Logs).
    estimator.fit()
    job_name = estimator.latest_training_job.name

sm = session.sagemaker_client
run_group = run.experiment_config["TrialName"]
run_component = sm.describe_trial_component(TrialComponentName=run.experiment_config["RunName"])
job = sm.describe_training_job(TrainingJobName=job_name)
print(
    json.dumps(
        {
            "experiment_config": run.experiment_config,
            "job_status": job["TrainingJobStatus"],
            "job_experiment_config": job.get("ExperimentConfig"),
            "run_component": run_component,
            "run_group_components": [
                c["TrialComponentName"]
                for c in sm.list_trial_components(TrialName=run.experiment_config["TrialName"])[
                    "TrialComponentSummaries"
                ]
            ],
        },
        default=str,
    )
)
