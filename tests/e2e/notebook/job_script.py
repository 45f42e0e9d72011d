"""The training script of seeds/000 reduced to its tracking: `load_run()` inside a SageMaker training job.

Runs as the job's container (ContainerEntrypoint) on the local cloud; `load_run` finds the run from the
job's TRAINING_JOB_ARN and its DescribeTrainingJob ExperimentConfig, as in a real job.
"""

import json
import os

import boto3
from sagemaker.experiments.run import load_run
from sagemaker.session import Session

hyperparameters = json.loads(os.environ["SM_HPS"])
epochs = int(hyperparameters["epochs"])
session = Session(boto3.session.Session(region_name=os.environ["AWS_REGION"]))
with load_run(sagemaker_session=session) as run:
    run.log_parameters({"num_train_samples": 1437, "optimizer": "sgd"})
    for epoch in range(epochs):
        loss = 1.0 / (epoch + 1)
        print(f"epoch {epoch}: Train Loss: {loss};", flush=True)
        run.log_metric(name="train:loss", value=loss, step=epoch)
