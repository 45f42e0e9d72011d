"""The MNIST notebook's analytics, lineage and deploy-prelude cells (seeds/002), run with the SageMaker SDK 2.x.

Run by tests/e2e/test_notebook_sdk.py in .venv-sdk against the local cloud (AWS_ENDPOINT_URL is the only
change: boto3 sends every client there). argv: the experiment's name and the notebook's
`hidden_channel_trial_name_map` as JSON. Prints what the cells computed as one JSON line.
"""

import json
import sys

# The notebook's imports (its first cells), as written there.
import boto3
from sagemaker.analytics import ExperimentAnalytics
from sagemaker.session import Session
from smexperiments.experiment import Experiment
from smexperiments.trial_component import TrialComponent

sess = boto3.Session()
sm = sess.client("sagemaker")
# What the notebook's earlier cells hold by now: the experiment it created and its trials by hidden_channels.
mnist_experiment = Experiment.load(experiment_name=sys.argv[1], sagemaker_boto_client=sm)
hidden_channel_trial_name_map = {int(k): v for k, v in json.loads(sys.argv[2]).items()}

# --- the notebook's cells from here, unchanged -------------------------------------------------------
search_expression = {
    "Filters": [
        {
            "Name": "DisplayName",
            "Operator": "Equals",
            "Value": "Training",
        }
    ],
}

trial_component_analytics = ExperimentAnalytics(
    sagemaker_session=Session(sess, sm),
    experiment_name=mnist_experiment.experiment_name,
    search_expression=search_expression,
    sort_by="metrics.test:accuracy.max",
    sort_order="Descending",
    metric_names=["test:accuracy"],
    parameter_names=["hidden_channels", "epochs", "dropout", "optimizer"],
)

analytics = trial_component_analytics.dataframe()

lineage_table = ExperimentAnalytics(
    sagemaker_session=Session(sess, sm),
    search_expression={
        "Filters": [{"Name": "Parents.TrialName", "Operator": "Equals", "Value": hidden_channel_trial_name_map[2]}]
    },
    sort_by="CreationTime",
    sort_order="Ascending",
)

lineage = lineage_table.dataframe()

# Pulling best based on sort in the analytics/dataframe so first is best....
best_trial_component_name = trial_component_analytics.dataframe().iloc[0]["TrialComponentName"]
best_trial_component = TrialComponent.load(best_trial_component_name)

model_data = best_trial_component.output_artifacts["SageMaker.ModelArtifact"].value
env = {
    "hidden_channels": str(int(best_trial_component.parameters["hidden_channels"])),
    "dropout": str(best_trial_component.parameters["dropout"]),
    "kernel_size": str(int(best_trial_component.parameters["kernel_size"])),
}
# --- (the notebook then deploys an endpoint with PyTorchModel(model_data, ..., env=env)) ------------

print(
    json.dumps(
        {
            "analytics": json.loads(analytics.to_json(orient="records")),
            "analytics_columns": list(analytics.columns),
            "lineage": json.loads(lineage.to_json(orient="records")),
            "best": best_trial_component_name,
            "model_data": model_data,
            "env": env,
        }
    )
)
