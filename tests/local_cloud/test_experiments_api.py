"""The local SageMaker Experiments API enforces the real API's rules, with the real error codes."""

from __future__ import annotations

import json
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from local_cloud import experiments, plug

REGION = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture
def sm():
    plug.install()
    with mock_aws():
        yield boto3.client(
            "sagemaker", region_name=REGION, config=Config(retries={"mode": "standard", "max_attempts": 1})
        )


def error_of(call, **request) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**request)
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def make(sm, experiment="exp", trials=("t1",), components=("c1",)):
    sm.create_experiment(ExperimentName=experiment)
    for trial in trials:
        sm.create_trial(TrialName=trial, ExperimentName=experiment)
    for component in components:
        sm.create_trial_component(TrialComponentName=component)


def test_a_trial_is_not_deletable_while_a_component_is_associated(sm):
    make(sm)
    sm.associate_trial_component(TrialComponentName="c1", TrialName="t1")
    code, message, status = error_of(sm.delete_trial, TrialName="t1")
    assert (code, status) == ("ValidationException", 400)
    assert "t1" in message
    sm.disassociate_trial_component(TrialComponentName="c1", TrialName="t1")
    sm.delete_trial(TrialName="t1")
    assert error_of(sm.describe_trial, TrialName="t1")[0] == "ResourceNotFound"


def test_an_experiment_is_not_deletable_while_it_has_trials(sm):
    make(sm, components=())
    code, _, status = error_of(sm.delete_experiment, ExperimentName="exp")
    assert (code, status) == ("ValidationException", 400)
    sm.delete_trial(TrialName="t1")
    sm.delete_experiment(ExperimentName="exp")
    assert sm.list_experiments()["ExperimentSummaries"] == []


def test_a_component_is_not_deletable_while_associated_with_any_trial(sm):
    make(sm, trials=("t1", "t2"))
    sm.associate_trial_component(TrialComponentName="c1", TrialName="t1")
    sm.associate_trial_component(TrialComponentName="c1", TrialName="t2")
    sm.disassociate_trial_component(TrialComponentName="c1", TrialName="t1")
    code, message, _ = error_of(sm.delete_trial_component, TrialComponentName="c1")
    assert code == "ValidationException"
    assert "is linked to 1 or more trials and cannot be deleted" in message
    sm.disassociate_trial_component(TrialComponentName="c1", TrialName="t2")
    sm.delete_trial_component(TrialComponentName="c1")


def test_a_component_can_belong_to_several_trials_of_several_experiments(sm):
    make(sm, trials=("t1", "t2"))
    make(sm, experiment="exp2", trials=("u1",), components=())
    for trial in ("t1", "t2", "u1"):
        sm.associate_trial_component(TrialComponentName="c1", TrialName=trial)
    held_by = sm.list_trials(TrialComponentName="c1")["TrialSummaries"]
    assert sorted(t["TrialName"] for t in held_by) == ["t1", "t2", "u1"]
    # Disassociating from one trial leaves the others alone.
    sm.disassociate_trial_component(TrialComponentName="c1", TrialName="t1")
    assert sorted(t["TrialName"] for t in sm.list_trials(TrialComponentName="c1")["TrialSummaries"]) == ["t2", "u1"]
    search = sm.search(
        Resource="ExperimentTrialComponent",
        SearchExpression={"Filters": [{"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": "exp2"}]},
    )
    assert [r["TrialComponent"]["TrialComponentName"] for r in search["Results"]] == ["c1"]


@pytest.mark.parametrize(
    "call, request_",
    [
        ("describe_experiment", {"ExperimentName": "missing"}),
        ("describe_trial", {"TrialName": "missing"}),
        ("describe_trial_component", {"TrialComponentName": "missing"}),
        ("delete_experiment", {"ExperimentName": "missing"}),
        ("delete_trial", {"TrialName": "missing"}),
        ("delete_trial_component", {"TrialComponentName": "missing"}),
        ("create_trial", {"TrialName": "t9", "ExperimentName": "missing"}),
        ("associate_trial_component", {"TrialComponentName": "missing", "TrialName": "t1"}),
        ("disassociate_trial_component", {"TrialComponentName": "c1", "TrialName": "t1"}),  # not associated
        ("list_trial_components", {"TrialName": "missing"}),
        ("update_trial_component", {"TrialComponentName": "missing"}),
    ],
)
def test_a_missing_record_is_resource_not_found_with_http_400(sm, call, request_):
    make(sm)
    code, _, status = error_of(getattr(sm, call), **request_)
    assert (code, status) == ("ResourceNotFound", 400)


def test_a_duplicate_create_is_the_real_already_exists_error(sm):
    make(sm)
    for call, request_ in (
        (sm.create_experiment, {"ExperimentName": "exp"}),
        (sm.create_trial, {"TrialName": "t1", "ExperimentName": "exp"}),
        (sm.create_trial_component, {"TrialComponentName": "c1"}),
        # "The name must be unique in your account and is not case-sensitive."
        (sm.create_trial_component, {"TrialComponentName": "C1"}),
    ):
        code, message, status = error_of(call, **request_)
        assert (code, status) == ("ValidationException", 400)
        assert "already exists" in message


def test_names_break_the_pattern_with_a_validation_error(sm):
    code, message, _ = error_of(sm.create_experiment, ExperimentName="bad_name")
    assert code == "ValidationException" and "regular expression pattern" in message
    code, _, _ = error_of(sm.create_experiment, ExperimentName="a" * 121)
    assert code == "ValidationException"


def test_list_trial_components_filters_by_experiment_trial_or_source_and_only_one(sm):
    make(sm, trials=("t1", "t2"), components=("c1", "c2", "c3"))
    make(sm, experiment="exp2", trials=("u1",), components=("d1",))
    sm.associate_trial_component(TrialComponentName="c1", TrialName="t1")
    sm.associate_trial_component(TrialComponentName="c2", TrialName="t2")
    sm.associate_trial_component(TrialComponentName="d1", TrialName="u1")

    def names(**request_):
        return sorted(c["TrialComponentName"] for c in sm.list_trial_components(**request_)["TrialComponentSummaries"])

    assert names(ExperimentName="exp") == ["c1", "c2"]  # moto ignores this filter; the real API does not
    assert names(TrialName="t2") == ["c2"]
    assert names() == ["c1", "c2", "c3", "d1"]
    backend = experiments.backend_for(ACCOUNT, REGION)
    job = "job-1"
    backend.record_training_job(
        training_job_name=job,
        training_job_arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{job}",
        experiment_config={"TrialName": "t1", "TrialComponentDisplayName": "Training"},
        status="Completed",
        final_metrics={"test:accuracy": 97.5},
    )
    assert names(SourceArn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{job}") == ["job-1-aws-training-job"]
    code, _, _ = error_of(sm.list_trial_components, ExperimentName="exp", TrialName="t1")
    assert code == "ValidationException"


def test_pagination_with_next_token_visits_every_record_once_even_while_deleting(sm):
    sm.create_experiment(ExperimentName="exp")
    for i in range(25):
        sm.create_trial(TrialName=f"t{i}", ExperimentName="exp")
    seen, token = [], None
    while True:
        page = sm.list_trials(ExperimentName="exp", MaxResults=7, **({"NextToken": token} if token else {}))
        for trial in page["TrialSummaries"]:
            seen.append(trial["TrialName"])
            sm.delete_trial(TrialName=trial["TrialName"])  # deleting what was listed moves no later record
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(f"t{i}" for i in range(25))
    assert len(seen) == 25
    assert error_of(sm.list_trials, MaxResults=101)[0] == "ValidationException"


def test_components_keep_parameters_artifacts_status_and_metrics(sm):
    sm.create_trial_component(
        TrialComponentName="c1",
        DisplayName="Preprocessing",
        Status={"PrimaryStatus": "InProgress"},
        InputArtifacts={"dataset": {"MediaType": "s3/uri", "Value": "s3://b/raw/"}},
    )
    sm.update_trial_component(
        TrialComponentName="c1",
        Status={"PrimaryStatus": "Completed"},
        Parameters={"normalization_mean": {"NumberValue": 0.1307}, "optimizer": {"StringValue": "sgd"}},
        OutputArtifacts={"train": {"MediaType": "s3/uri", "Value": "s3://b/train/"}},
    )
    sm.update_trial_component(TrialComponentName="c1", ParametersToRemove=["optimizer"])
    described = sm.describe_trial_component(TrialComponentName="c1")
    assert described["DisplayName"] == "Preprocessing"
    assert described["Status"] == {"PrimaryStatus": "Completed"}
    assert described["Parameters"] == {"normalization_mean": {"NumberValue": 0.1307}}
    assert described["InputArtifacts"]["dataset"]["Value"] == "s3://b/raw/"
    assert described["OutputArtifacts"]["train"]["Value"] == "s3://b/train/"
    code, _, _ = error_of(sm.update_trial_component, TrialComponentName="c1", Status={"PrimaryStatus": "Done"})
    assert code == "ValidationException"


def test_tags_on_experiment_records_and_moto_keeps_its_other_sagemaker_resources(sm):
    arn = sm.create_experiment(ExperimentName="exp", Tags=[{"Key": "team", "Value": "ml"}])["ExperimentArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}])
    assert {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]} == {"team": "ml", "stage": "dev"}
    # Models stay moto's, tags on them too.
    model_arn = sm.create_model(
        ModelName="m1",
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
        PrimaryContainer={"Image": "img"},
        Tags=[{"Key": "k", "Value": "v"}],
    )["ModelArn"]
    assert sm.describe_model(ModelName="m1")["ModelArn"] == model_arn
    assert sm.list_tags(ResourceArn=model_arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert sm.search(Resource="TrainingJob")["Results"] == []  # moto's own Search still answers the rest


def test_each_mock_starts_with_no_records():
    plug.install()
    with mock_aws():
        boto3.client("sagemaker", region_name=REGION).create_experiment(ExperimentName="exp")
    with mock_aws():
        assert boto3.client("sagemaker", region_name=REGION).list_experiments()["ExperimentSummaries"] == []


def test_injected_throttling_is_seeded_and_retried_by_botocore():
    backend = experiments.ExperimentsBackend(ACCOUNT, REGION)
    backend.inject_throttling(0.3, seed=1)
    outcomes = []
    for i in range(40):
        try:
            backend.call("CreateExperiment", {"ExperimentName": f"e{i}"})
            outcomes.append("ok")
        except experiments.ThrottlingException:
            outcomes.append("throttled")
    again = experiments.ExperimentsBackend(ACCOUNT, REGION)
    again.inject_throttling(0.3, seed=1)
    replay = []
    for i in range(40):
        try:
            again.call("CreateExperiment", {"ExperimentName": f"e{i}"})
            replay.append("ok")
        except experiments.ThrottlingException:
            replay.append("throttled")
    assert outcomes == replay
    assert 4 <= outcomes.count("throttled") <= 24


def test_the_moto_server_answers_with_aws_json_errors():
    """Server mode (the local cloud) goes through the same SageMakerResponse: JSON errors, HTTP 400."""
    from moto.server import ThreadedMotoServer

    plug.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "sagemaker",
            region_name=REGION,
            endpoint_url=endpoint,
            config=Config(retries={"mode": "standard", "max_attempts": 1}),
        )
        client.create_experiment(ExperimentName="exp")
        client.create_trial(TrialName="t1", ExperimentName="exp")
        assert error_of(client.delete_experiment, ExperimentName="exp")[:1] == ("ValidationException",)
        # One endpoint for both: the metrics service's BatchPutMetrics reaches the same records.
        client.create_trial_component(TrialComponentName="c1")
        metrics = boto3.client("sagemaker-metrics", region_name=REGION, endpoint_url=endpoint)
        assert _put(metrics, "c1", 0.5)["Errors"] == []
        assert client.describe_trial_component(TrialComponentName="c1")["Metrics"][0]["Last"] == 0.5
        request = urllib.request.Request(
            endpoint,
            data=json.dumps({"TrialName": "missing"}).encode(),
            method="POST",
            headers={
                "X-Amz-Target": "SageMaker.DescribeTrial",
                "Content-Type": "application/x-amz-json-1.1",
                "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sagemaker/aws4_request, "
                "SignedHeaders=host, Signature=x",
            },
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        assert caught.value.code == 400
        assert json.loads(caught.value.read())["__type"] == "ResourceNotFound"
    finally:
        server.stop()
        experiments.reset_backends()


def test_a_training_job_with_experiment_config_is_recorded_as_sagemaker_does():
    backend = experiments.ExperimentsBackend(ACCOUNT, REGION)
    backend.call("CreateExperiment", {"ExperimentName": "exp"})
    backend.call("CreateTrial", {"TrialName": "t1", "ExperimentName": "exp"})
    start = time.time()
    name = backend.record_training_job(
        training_job_name="job",
        training_job_arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/job",
        experiment_config={"ExperimentName": "exp", "TrialName": "t1", "TrialComponentDisplayName": "Training"},
        status="Failed",
        hyperparameters={"optimizer": "rmsprop"},
        failure_reason="optimizer: 'rmsprop' not in sgd, adam",
    )
    assert name == "job-aws-training-job"
    view = backend.call("DescribeTrialComponent", {"TrialComponentName": name})
    assert view["DisplayName"] == "Training"
    assert view["Status"] == {
        "PrimaryStatus": "Failed",
        "Message": "Status: Failed, exit message: null, failure reason: optimizer: 'rmsprop' not in sgd, adam",
    }
    assert view["Source"]["SourceType"] == "SageMakerTrainingJob"
    assert view["Parameters"] == {"optimizer": {"StringValue": "rmsprop"}}
    assert view["EndTime"].timestamp() >= start
    assert backend.trials_holding(name) == ["t1"]


def test_a_refused_update_trial_component_leaves_the_record_unchanged(sm):
    """UpdateTrialComponent validates into a copy: a refused update stores none of its changes."""
    parameters = {f"p{i}": {"NumberValue": i} for i in range(300)}  # "Maximum number of 300 items."
    sm.create_trial_component(TrialComponentName="c1", DisplayName="before", Parameters=parameters)
    code, message, status = error_of(
        sm.update_trial_component,
        TrialComponentName="c1",
        DisplayName="after",
        Parameters={"one-too-many": {"StringValue": "x"}},
        InputArtifacts={"data": {"Value": "s3://bucket/data"}},
    )
    assert (code, status) == ("ValidationException", 400)
    assert "at most 300 parameters" in message
    view = sm.describe_trial_component(TrialComponentName="c1")
    assert view["DisplayName"] == "before"
    assert len(view["Parameters"]) == 300 and "one-too-many" not in view["Parameters"]
    assert view["InputArtifacts"] == {}


def test_search_pages_with_next_token_and_refuses_a_bad_one_like_list(sm):
    for i in range(3):
        sm.create_experiment(ExperimentName=f"e{i}")
    first = sm.search(Resource="Experiment", MaxResults=2)
    second = sm.search(Resource="Experiment", MaxResults=2, NextToken=first["NextToken"])
    names = [r["Experiment"]["ExperimentName"] for r in first["Results"] + second["Results"]]
    assert names == ["e0", "e1", "e2"] and "NextToken" not in second
    for call, request_ in ((sm.search, {"Resource": "Experiment"}), (sm.list_experiments, {})):
        code, message, status = error_of(call, **request_, NextToken="not-a-token")
        assert (code, status) == ("ValidationException", 400)
        assert message.startswith("Invalid NextToken")


def _components_with_accuracy(sm, accuracies: dict[str, float | None]) -> None:
    sm.create_experiment(ExperimentName="exp")
    sm.create_trial(TrialName="t1", ExperimentName="exp")
    for name, accuracy in accuracies.items():
        parameters = {} if accuracy is None else {"accuracy": {"NumberValue": accuracy}}
        sm.create_trial_component(TrialComponentName=name, DisplayName=name.upper(), Parameters=parameters)
        sm.associate_trial_component(TrialComponentName=name, TrialName="t1")


def _searched(sm, **request) -> list[str]:
    names, token = [], None
    while True:
        page = sm.search(
            Resource="ExperimentTrialComponent", MaxResults=2, **request, **({"NextToken": token} if token else {})
        )
        names += [r["TrialComponent"]["TrialComponentName"] for r in page["Results"]]
        token = page.get("NextToken")
        if not token:
            return names


def test_search_sorts_by_the_sort_property_descending_by_default_and_pages_in_that_order(sm):
    # The notebook's best-model pick: ExperimentAnalytics(sort_by=..., sort_order="Descending").iloc[0].
    _components_with_accuracy(sm, {"a": 97.0, "b": 99.5, "c": None, "d": 12.0, "e": 98.1})
    assert _searched(sm, SortBy="Parameters.accuracy") == ["b", "e", "a", "d", "c"]  # without one: last
    assert _searched(sm, SortBy="Parameters.accuracy", SortOrder="Ascending") == ["d", "a", "e", "b", "c"]
    assert _searched(sm, SortBy="DisplayName", SortOrder="Ascending") == ["a", "b", "c", "d", "e"]
    code, message, status = error_of(sm.search, Resource="Experiment", SortBy="Name", SortOrder="Sideways")
    assert (code, status) == ("ValidationException", 400) and "sortOrder" in message


def test_search_sorts_by_a_metric_statistic_named_in_any_case_as_the_sdk_does(sm, metrics):
    # The notebook's ExperimentAnalytics(sort_by="metrics.test:accuracy.max") sends the property lower-cased.
    make(sm, components=("low", "high", "failed"))
    _put(metrics, "low", 60.0, 62.5)
    _put(metrics, "high", 80.0, 81.5)
    for sort_by in ("metrics.test:accuracy.max", "Metrics.test:accuracy.Max"):
        assert _searched(sm, SortBy=sort_by) == ["high", "low", "failed"], sort_by  # without the metric: last
        assert _searched(sm, SortBy=sort_by, SortOrder="Ascending") == ["low", "high", "failed"], sort_by
    assert _searched(
        sm,
        SearchExpression={"Filters": [{"Name": "metrics.test:accuracy.min", "Operator": "GreaterThan", "Value": "70"}]},
    ) == ["high"]


def test_search_honours_nested_filters_and_the_in_operator(sm):
    _components_with_accuracy(sm, {"a": 97.0, "b": 99.5})
    sm.create_experiment(ExperimentName="other")
    sm.create_trial(TrialName="t2", ExperimentName="other")
    sm.associate_trial_component(TrialComponentName="b", TrialName="t2")

    # One parent must satisfy both filters: b's parents are (t1, exp) and (t2, other), never (t1, other).
    def parents(trial: str, experiment: str) -> list[dict]:
        return [
            {
                "NestedPropertyName": "Parents",
                "Filters": [
                    {"Name": "Parents.TrialName", "Operator": "Equals", "Value": trial},
                    {"Name": "Parents.ExperimentName", "Operator": "Equals", "Value": experiment},
                ],
            }
        ]

    assert _searched(sm, SearchExpression={"NestedFilters": parents("t2", "other")}) == ["b"]
    assert _searched(sm, SearchExpression={"NestedFilters": parents("t1", "exp")}) == ["a", "b"]
    assert _searched(sm, SearchExpression={"NestedFilters": parents("t1", "other")}) == []
    by_in = {"Filters": [{"Name": "TrialComponentName", "Operator": "In", "Value": "b, zz"}]}
    assert _searched(sm, SearchExpression=by_in) == ["b"]


def test_a_training_jobs_component_summarises_every_logged_value_and_carries_its_sagemaker_parameters(sm):
    from local_cloud.sagemaker.experiment_tracking import TrainingComponentTracker

    make(sm, trials=("t1",), components=())
    job = "job-2"
    description = {
        "TrainingJobName": job,
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{job}",
        "TrainingJobStatus": "Completed",
        "ExperimentConfig": {"TrialName": "t1", "TrialComponentDisplayName": "Training"},
        "HyperParameters": {"hidden_channels": "5", "dropout": "0.2", "optimizer": "sgd", "backend": "inf"},
        "AlgorithmSpecification": {"TrainingImage": "123.dkr.ecr/jobs:latest"},
        "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30},
        "FinalMetricDataList": [{"MetricName": "test:accuracy", "Value": 97.0}],
    }
    # One value per epoch, as the job logged them; the final value is the last.
    TrainingComponentTracker(experiments.backend_for(ACCOUNT, REGION)).finished(
        description, {"test:accuracy": [91.0, 95.0, 97.0]}
    )

    component = sm.describe_trial_component(TrialComponentName=f"{job}-aws-training-job")
    (accuracy,) = component["Metrics"]
    assert {k: accuracy[k] for k in ("Count", "Min", "Max", "Last")} == {
        "Count": 3,
        "Min": 91.0,
        "Max": 97.0,
        "Last": 97.0,
    }
    assert accuracy["Avg"] == pytest.approx(94.333333) and accuracy["StdDev"] == pytest.approx(3.0550505)
    # As SageMaker records a training job (a DescribeTrialComponent answer in sagemaker-core's tests):
    # the image is a parameter; hyperparameters that read as finite numbers are numbers.
    assert component["Parameters"] == {
        "hidden_channels": {"NumberValue": 5.0},
        "dropout": {"NumberValue": 0.2},
        "optimizer": {"StringValue": "sgd"},
        "backend": {"StringValue": "inf"},
        "SageMaker.ImageUri": {"StringValue": "123.dkr.ecr/jobs:latest"},
        "SageMaker.InstanceType": {"StringValue": "ml.m5.large"},
        "SageMaker.InstanceCount": {"NumberValue": 1.0},
        "SageMaker.VolumeSizeInGB": {"NumberValue": 30.0},
    }
    assert "SageMaker.ImageUri" not in component["InputArtifacts"]
    assert component["Status"] == {
        "PrimaryStatus": "Completed",
        "Message": "Status: Completed, exit message: null, failure reason: null",
    }


def test_a_component_without_artifacts_answers_empty_maps_as_the_sdks_analytics_expects(sm):
    # ExperimentAnalytics._reshape: `trial_component.get("OutputArtifacts", []).items()` (sagemaker 2.x).
    make(sm, trials=("t1",), components=("bare",))
    sm.associate_trial_component(TrialComponentName="bare", TrialName="t1")
    described = sm.describe_trial_component(TrialComponentName="bare")
    (searched,) = [r["TrialComponent"] for r in sm.search(Resource="ExperimentTrialComponent")["Results"]]
    for component in (described, searched):
        for key in ("Parameters", "InputArtifacts", "OutputArtifacts"):
            assert component[key] == {}, key
            assert list(component.get(key, []).items()) == []


@pytest.fixture
def metrics(sm):
    return boto3.client(
        "sagemaker-metrics", region_name=REGION, config=Config(retries={"mode": "standard", "max_attempts": 1})
    )


def _put(metrics, component: str, *values: float, metric: str = "test:accuracy", start: int = 0) -> dict:
    return metrics.batch_put_metrics(
        TrialComponentName=component,
        MetricData=[
            {"MetricName": metric, "Timestamp": 1_700_000_000 + i, "Step": start + i, "Value": v}
            for i, v in enumerate(values)
        ],
    )


def test_batch_put_metrics_on_any_component_feeds_its_metric_summary(sm, metrics):
    # The SageMaker SDK's Run.log_metric sends each value with BatchPutMetrics, the name lower-cased.
    make(sm, components=("run-1",))
    assert _put(metrics, "run-1", 0.5, 0.25)["Errors"] == []
    assert _put(metrics, "run-1", 0.75, start=2)["Errors"] == []
    assert _put(metrics, "run-1", 3.0, metric="train:loss")["Errors"] == []
    summaries = {m["MetricName"]: m for m in sm.describe_trial_component(TrialComponentName="run-1")["Metrics"]}
    accuracy = summaries["test:accuracy"]
    assert {k: accuracy[k] for k in ("Count", "Min", "Max", "Last", "Avg")} == {
        "Count": 3,
        "Min": 0.25,
        "Max": 0.75,
        "Last": 0.75,
        "Avg": 0.5,
    }
    assert accuracy["StdDev"] == pytest.approx(0.25)
    assert accuracy["TimeStamp"].timestamp() == 1_700_000_001  # "When the metric was last updated."
    assert summaries["train:loss"]["Count"] == 1
    # Search sorts on the same summaries (the notebook's sort_by="metrics.test:accuracy.max").
    (found,) = sm.search(Resource="ExperimentTrialComponent")["Results"]
    assert {m["MetricName"] for m in found["TrialComponent"]["Metrics"]} == {"test:accuracy", "train:loss"}


def test_batch_put_metrics_joins_the_values_a_training_job_logged(sm, metrics):
    backend = experiments.backend_for(ACCOUNT, REGION)
    make(sm, components=())
    name = backend.record_training_job(
        training_job_name="job",
        training_job_arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/job",
        experiment_config={"TrialName": "t1"},
        status="Completed",
        metric_series={"test:accuracy": [90.0, 92.0]},
    )
    assert _put(metrics, name, 96.0)["Errors"] == []
    (accuracy,) = sm.describe_trial_component(TrialComponentName=name)["Metrics"]
    assert (accuracy["Count"], accuracy["Min"], accuracy["Max"], accuracy["Last"]) == (3, 90.0, 96.0, 96.0)
    assert accuracy["SourceArn"].endswith(":training-job/job")


def test_batch_put_metrics_answers_bad_metrics_by_index_and_keeps_the_good_ones(sm, metrics):
    make(sm, components=("run-1",))
    answer = metrics.batch_put_metrics(
        TrialComponentName="run-1",
        MetricData=[
            {"MetricName": "loss", "Timestamp": 1_700_000_000, "Value": 1.0},
            {"MetricName": "x" * 256, "Timestamp": 1_700_000_001, "Value": 2.0},  # MetricName: 255 at most
            {"MetricName": "loss", "Timestamp": 1_700_000_002, "Value": 3.0},
        ],
    )
    assert answer["Errors"] == [{"Code": "VALIDATION_ERROR", "MetricIndex": 1}]
    (loss,) = sm.describe_trial_component(TrialComponentName="run-1")["Metrics"]
    assert (loss["Count"], loss["Last"]) == (2, 3.0)
    # An unknown component: every metric is a VALIDATION_ERROR, nothing is created.
    assert _put(metrics, "missing", 1.0, 2.0)["Errors"] == [
        {"Code": "VALIDATION_ERROR", "MetricIndex": 0},
        {"Code": "VALIDATION_ERROR", "MetricIndex": 1},
    ]
    assert [c["TrialComponentName"] for c in sm.list_trial_components()["TrialComponentSummaries"]] == ["run-1"]


@pytest.mark.parametrize(
    "request_, field",
    [
        ({"TrialComponentName": "Run-1"}, "trialComponentName"),  # "must be entirely lowercase"
        ({"MetricData": [{"MetricName": "m", "Timestamp": 1, "Value": 1.0}] * 11}, "metricData"),  # at most 10
    ],
)
def test_batch_put_metrics_refuses_a_request_that_breaks_its_rules_with_a_400(sm, metrics, request_, field):
    make(sm, components=("run-1",))
    request = {"TrialComponentName": "run-1", "MetricData": [{"MetricName": "m", "Timestamp": 1, "Value": 1.0}]}
    code, message, status = error_of(metrics.batch_put_metrics, **{**request, **request_})
    assert (code, status) == ("ValidationException", 400) and f"'{field}'" in message
    assert "Metrics" not in sm.describe_trial_component(TrialComponentName="run-1")
