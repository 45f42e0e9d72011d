"""`cdk bootstrap` + `cdk deploy --all` with the pinned CLI against the local cloud (context localCloud=true)."""

import json
import re

import pytest

from local_cloud.cloud import LocalCloud
from local_cloud.deploy import deploy

pytestmark = pytest.mark.xdist_group("local-cloud-deploy")  # one deploy per run

FUNCTIONS = (
    "validate_input",
    "record_experiment",
    "record_preprocessing",
    "record_trial",
    "record_training",
    "select_best",
    "record_transform",
    "cleanup_experiment",
)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    # No executions here: the MLflow server the App stands for is not needed (mlflow=False).
    with LocalCloud(tmp_path_factory.mktemp("deploy"), mlflow=False) as cloud:
        yield cloud, deploy(cloud.endpoint_url, work_dir=cloud.run_dir, context={"trialConcurrency": "1"})


def test_stacks_deploy_with_the_documented_outputs(deployed):
    cloud, outputs = deployed
    assert {"BucketName", "KeyArn", "RepositoryName", "RepositoryUri", "MlflowArn", "MlflowUiUrl"} <= set(
        outputs["ExperimentsData"]
    )
    # The App as the local cloud keeps it (local_cloud/mlflow/apps.py), with an ARN of the App's form.
    app = outputs["ExperimentsData"]["MlflowArn"]
    assert re.fullmatch(r"arn:aws:sagemaker:us-east-1:123456789012:mlflow-app/app-[A-Z0-9]{12}", app)
    assert (
        cloud.client("sagemaker").describe_mlflow_app(Arn=app)["ArtifactStoreUri"]
        == f"s3://{outputs['ExperimentsPipeline']['BucketName']}/mlflow/"
    )
    assert {
        "BucketName",
        "SageMakerRoleArn",
        "TrainingStateMachineArn",
        "CleanupStateMachineArn",
        "JobsImageUri",
    } <= set(outputs["ExperimentsPipeline"])
    assert outputs["ExperimentsPipeline"]["JobsImageUri"].endswith("/sagemaker-experiments-jobs:local")
    bucket = outputs["ExperimentsPipeline"]["BucketName"]
    assert bucket in [b["Name"] for b in cloud.client("s3").list_buckets()["Buckets"]]


def test_deployed_state_machines_are_the_executing_ones_with_the_context_applied(deployed):
    cloud, outputs = deployed
    sfn = cloud.client("stepfunctions")
    arns = {m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    assert {
        outputs["ExperimentsPipeline"]["TrainingStateMachineArn"],
        outputs["ExperimentsPipeline"]["CleanupStateMachineArn"],
    } <= arns
    definition = json.loads(
        sfn.describe_state_machine(stateMachineArn=outputs["ExperimentsPipeline"]["TrainingStateMachineArn"])[
            "definition"
        ]
    )
    assert definition["States"]["TrainTrials"]["MaxConcurrency"] == 1  # -c trialConcurrency=1 reached the stack


def test_functions_hold_the_code_package_with_their_handler(deployed):
    cloud, _ = deployed
    client = cloud.client("lambda")
    functions = {f["Handler"]: f for f in client.list_functions()["Functions"]}
    assert set(functions) == {f"lambdas.{name}.handler.handler" for name in FUNCTIONS}
    function = functions["lambdas.validate_input.handler.handler"]
    assert function["Environment"]["Variables"]["MAX_TRIALS"] == "300"
    location = client.get_function(FunctionName=function["FunctionName"])["Code"]["Location"]
    assert location  # moto serves the uploaded zip; its content is checked through the run folder below
    response = client.invoke(
        FunctionName=function["FunctionName"],
        Payload=json.dumps(
            {"input": {"experimentName": "deploy-check", "trials": [{"hidden_channels": 2}]}, "executionName": "x"}
        ),
    )
    assert "FunctionError" not in response, response["Payload"].read()
    plan = json.load(response["Payload"])
    assert plan["experimentName"] == "deploy-check" and plan["trials"]["count"] == 1
    # The trials themselves are in the run's trials file, the Distributed Map's items.
    trials = cloud.client("s3").get_object(Bucket=plan["trials"]["bucket"], Key=plan["trials"]["key"])
    assert [t["hyperparameters"]["hidden_channels"] for t in json.load(trials["Body"])] == ["2"]
    packages = list((cloud.run_dir / "lambda-code").glob("*ValidateInput*"))
    assert packages and (packages[0] / "contract" / "__init__.py").is_file()
    assert not (packages[0] / "ops").exists() and not (packages[0] / "jobs").exists()  # lambdas/ and contract/ only
