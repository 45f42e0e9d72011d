"""The training state machine: validate -> record -> preprocess -> parallel trials -> best -> transform."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import Duration, Size
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

import contract
from contract import errors, quotas, schema, states, tracking
from contract.events import (
    JobReference,
    PipelineState,
    RecordingOutcome,
    RecordPreprocessingEvent,
    RecordTrainingEvent,
    RecordTransformEvent,
    RecordTrialEvent,
    SelectBestEvent,
    Selection,
    TransformRecording,
    TrialIteration,
    TrialResult,
)
from contract.schema import paths, reselect, selector, template
from infra.constructs import functions as fns
from infra.constructs import job_adoption
from infra.constructs.capacity_retry import capacity_retry
from infra.constructs.sagemaker_jobs import (
    CONTAINER,
    SageMakerModel,
    SageMakerProcessingJob,
    SageMakerTrainingJob,
    SageMakerTransformJob,
    spot_training_parameters,
)
from infra.constructs.state_machine_logs import logged_state_machine

# A job that started and failed is not retried (same name); the trial's Catch records the failure.
CAPACITY_ERRORS = list(errors.SAGEMAKER_CAPACITY_ERRORS)
SAGEMAKER_API_ERRORS = list(errors.SAGEMAKER_API_ERRORS)
# The JSONPaths of every state, from the contract's models: a renamed field fails the synth.
STATE = paths(PipelineState)
ITERATION = paths(TrialIteration)
# What a record state leaves on success; its Catch leaves the error at the same path instead.
RECORDED = {"recorded": True}


@dataclass(frozen=True)
class JobSettings:
    processing_instance_type: str
    training_instance_type: str
    transform_instance_type: str
    volume_size_gb: int
    max_runtime: Duration
    spot_training: bool
    max_wait: Duration
    mlflow_arn: str | None = None  # the MLflow App the training jobs log their epochs to


class _TrialsFileReader(sfn.S3JsonItemReader):
    """The plan's trials file as the Map's items, readable in the runs' trials files only.

    With a bucket from a JsonPath, CDK's reader grants s3:GetObject on Resource "*" (every bucket
    of every account, checkov CKV_AWS_108); the bucket is this project's, so the grant names it."""

    def __init__(self, bucket: s3.IBucket, **kwargs) -> None:
        super().__init__(**kwargs)
        self._bucket = bucket

    def provide_policy_statements(self) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[self._bucket.arn_for_objects(contract.TRIALS_FILES)]
            )
        ]


class _ResultFilesWriter(sfn.ResultWriterV2):
    """The Map Run's results in the run's results/ prefix, writable there only.

    CDK's writer grants its actions on Resource "*" for a bucket from a JsonPath (checkov
    CKV_AWS_111). "Step Functions uses multipart upload to write the results" (Distributed Map
    ResultWriter, IAM policies), hence the multipart actions."""

    def __init__(self, bucket: s3.IBucket, **kwargs) -> None:
        super().__init__(**kwargs)
        self._bucket = bucket

    def provide_policy_statements(self) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
                resources=[self._bucket.arn_for_objects(contract.RESULT_FILES)],
            )
        ]


class TrainingPipeline(Construct):
    """One execution = one experiment run of N hyperparameter variants (see docs/lambda-contracts.md)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        functions: fns.ExperimentFunctions,
        sagemaker_role: iam.IRole,
        image_uri: str,
        key: kms.IKey,
        bucket: s3.IBucket,
        trial_concurrency: int,
        jobs: JobSettings,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, id)

        validate = _invoke(
            self,
            states.VALIDATE_INPUT,
            functions[fns.VALIDATE_INPUT],
            # ValidateInputEvent: the raw input and the execution's name (a context object path).
            {"input.$": "$", "executionName.$": "$$.Execution.Name"},
            output_path="$.Payload",
        )
        record_experiment = _invoke(
            self, states.RECORD_EXPERIMENT, functions[fns.RECORD_EXPERIMENT], sfn.JsonPath.entire_payload
        )

        preprocess = SageMakerProcessingJob(
            self,
            states.PREPROCESS,
            role=sagemaker_role,
            parameters=_processing_request(image_uri, key, jobs),
            # Keep the run plan: the CDK drops a null ResultPath from a CustomState, so the job's
            # Describe output (which would replace the whole state) is reduced and put beside it.
            ResultSelector=selector(
                **{
                    "ProcessingJobArn": paths(JobReference).processing_job_arn,
                    "ProcessingJobStatus": paths(JobReference).processing_job_status,
                }
            ),
            ResultPath=str(STATE.preprocessing_job),
        )
        record_preprocessing = _record(
            self,
            states.RECORD_PREPROCESSING,
            functions[fns.RECORD_PREPROCESSING],
            template(RecordPreprocessingEvent, plan=STATE, status="Completed"),
            STATE.preprocessing_recording,
        )
        record_preprocessing_failure = _record(
            self,
            states.RECORD_PREPROCESSING_FAILURE,
            functions[fns.RECORD_PREPROCESSING],
            template(RecordPreprocessingEvent, plan=STATE, status="Failed", error=STATE.error),
            STATE.preprocessing_recording,
        )
        preprocessing_failed = sfn.Fail(
            self, states.PREPROCESSING_FAILED, error=errors.PREPROCESSING_FAILED, cause_path=f"{STATE.error}.Cause"
        )
        record_preprocessing_failure.add_catch(
            preprocessing_failed, errors=[sfn.Errors.ALL], result_path=str(STATE.preprocessing_recording)
        )
        record_preprocessing_failure.next(preprocessing_failed)
        _catch_with_adoption(
            self,
            preprocess,
            states.PROCESSING_ADOPTION,
            job_adoption.PROCESSING,
            job_name_path=STATE.preprocessing.job_name,
            result_path=STATE.preprocessing_job,
            completed=record_preprocessing,
            failed=record_preprocessing_failure,
        )

        # A Distributed Map: each trial a child execution, the items read from the plan's trials file
        # and the results written to the run's results/ prefix, so that the execution state carries
        # pointers whatever the sweep's size (256 KiB state quota; 25,000 events per history). A child
        # that fails outside its trial's Catch fails no sweep: SelectBest makes that trial Failed, and
        # the sweep fails only when no trial completed (NoCompletedTrial).
        trials = sfn.DistributedMap(
            self,
            states.TRAIN_TRIALS,
            item_reader=_TrialsFileReader(
                bucket,
                bucket_name_path=sfn.JsonPath.string_at(str(STATE.trials.bucket)),
                key=sfn.JsonPath.string_at(str(STATE.trials.key)),
            ),
            item_selector=template(
                TrialIteration,
                experiment_name=STATE.experiment_name,
                preprocessing_trial_component_name=STATE.preprocessing.trial_component_name,
                preprocessing_output_s3_uri=STATE.preprocessing.output_s3_uri,
                trial="$$.Map.Item.Value",
            ),
            max_concurrency=trial_concurrency,
            # Every trial may fail (no sweep is larger than the quota). A count rather than 100 percent:
            # the local cloud's ASL grammar (moto 5.2.5) takes a percentage only as a decimal, while
            # the CDK renders an integer.
            tolerated_failure_count=quotas.TRIALS_PER_EXPERIMENT,
            map_execution_type=sfn.StateMachineType.STANDARD,
            label=states.TRAIN_TRIALS,
            result_writer_v2=_ResultFilesWriter(
                bucket,
                bucket_name_path=sfn.JsonPath.string_at(str(STATE.trials.bucket)),
                prefix=sfn.JsonPath.string_at(str(STATE.results_prefix)),
            ),
            result_path=str(STATE.trial_results),
        )
        trials.item_processor(self._trial(functions, sagemaker_role, image_uri, key, bucket, jobs))

        # A failed recording of the preprocessing loses no outcome: the trials go on.
        record_preprocessing.add_catch(trials, errors=[sfn.Errors.ALL], result_path=str(STATE.preprocessing_recording))
        select_best = _invoke(
            self,
            states.SELECT_BEST,
            functions[fns.SELECT_BEST],
            template(
                SelectBestEvent,
                experiment_name=STATE.experiment_name,
                execution_name=STATE.execution_name,
                trials=STATE.trials,
                results=STATE.trial_results,
                objective=STATE.objective,
                outcomes_s3_uri=STATE.outcomes_s3_uri,
                preprocessing_recording=STATE.preprocessing_recording,
                previous_outcomes=STATE.previous_outcomes,
                preprocessing=STATE.preprocessing,
                transform=STATE.transform,
            ),
            result_path=str(STATE.selection),
            result_selector=reselect(Selection, "$.Payload"),
        )
        best = STATE.selection.best
        create_model = SageMakerModel(
            self,
            states.CREATE_MODEL,
            # Given here rather than as a CDK S3Location, whose JSONPath form grants S3 on "*".
            extra_parameters={"PrimaryContainer": {"ModelDataUrl.$": str(best.model_artifact)}},
            model_name=sfn.JsonPath.string_at(str(STATE.model.model_name)),
            primary_container=tasks.ContainerDefinition(
                image=tasks.DockerImage.from_registry(image_uri),
                mode=tasks.Mode.SINGLE_MODEL,
            ),
            role=sagemaker_role,
            enable_network_isolation=True,
            result_path=sfn.JsonPath.DISCARD,
        )
        transform = SageMakerTransformJob(
            self,
            states.TRANSFORM,
            # SageMaker records the job as trial component `<job>-aws-transform-job` on the best trial.
            extra_parameters={
                "ExperimentConfig": {
                    "ExperimentName.$": str(STATE.experiment_name),
                    "TrialName.$": str(best.trial_name),
                    "TrialComponentDisplayName": contract.TRANSFORM_DISPLAY_NAME,
                }
            },
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            transform_job_name=sfn.JsonPath.string_at(str(STATE.transform.job_name)),
            model_name=sfn.JsonPath.string_at(str(STATE.model.model_name)),
            role=sagemaker_role,
            batch_strategy=tasks.BatchStrategy.MULTI_RECORD,
            max_payload=Size.mebibytes(contract.TRANSFORM_MAX_PAYLOAD_MB),
            transform_input=tasks.TransformInput(
                transform_data_source=tasks.TransformDataSource(
                    s3_data_source=tasks.TransformS3DataSource(
                        s3_uri=sfn.JsonPath.string_at(str(STATE.transform.input_s3_uri)),
                        s3_data_type=tasks.S3DataType.S3_PREFIX,
                    )
                ),
                content_type=contract.TRANSFORM_CONTENT_TYPE,
                split_type=tasks.SplitType.LINE,
            ),
            transform_output=tasks.TransformOutput(
                s3_output_path=sfn.JsonPath.string_at(str(STATE.transform.output_s3_uri)),
                accept=contract.TRANSFORM_ACCEPT,
                assemble_with=tasks.AssembleWith.LINE,
                encryption_key=key,
            ),
            transform_resources=tasks.TransformResources(
                instance_count=1,
                instance_type=_instance_type(jobs.transform_instance_type),
                volume_encryption_key=_volume_key(key, jobs.transform_instance_type),
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        # The transform's MLflow run (nothing when tracking is off). Its misses are its result; a failure
        # of the function itself (past the Lambda retries) is caught and made one, so the output says it.
        record_transform = _invoke(
            self,
            states.RECORD_TRANSFORM,
            functions[fns.RECORD_TRANSFORM],
            template(
                RecordTransformEvent,
                experiment_name=STATE.experiment_name,
                execution_name=STATE.execution_name,
                transform=STATE.transform,
                model_name=STATE.model.model_name,
                best=best,
            ),
            result_path=str(STATE.transform_recording),
            result_selector=reselect(TransformRecording, "$.Payload"),
        )
        transform_not_recorded = sfn.Pass(
            self,
            states.TRANSFORM_NOT_RECORDED,
            parameters={
                "mlflowUnrecorded.$": f"States.Array(States.Format('transform run: {{}}', {STATE.error.cause}))"
            },
            result_path=str(STATE.transform_recording),
        )
        record_transform.add_catch(transform_not_recorded, errors=[sfn.Errors.ALL], result_path=str(STATE.error))
        summarize = sfn.Pass(
            self,
            states.SUMMARIZE,
            # contract.events.ExecutionOutput
            parameters=selector(
                experimentName=STATE.experiment_name,
                outcomes=STATE.selection.outcomes,
                best=selector(trialName=best.trial_name, metric=best.metric, value=best.value),
                model=STATE.model.model_name,
                transform=selector(
                    jobName=STATE.transform.job_name,
                    outputS3Uri=STATE.transform.output_s3_uri,
                    mlflowUnrecorded=STATE.transform_recording.mlflow_unrecorded,
                ),
            ),
        )

        # A failed transform fails the execution with a named error whose cause is the transform's (the
        # job's Describe): an ErrorPath could not pass the caught "States.TaskFailed" on, as names with
        # the "States." prefix are reserved. A job whose name was in use (a Create retried after an
        # ambiguous error) is adopted as the trials' jobs are.
        transform_failed = sfn.Fail(
            self, states.TRANSFORM_FAILED, error=errors.TRANSFORM_FAILED, cause_path=str(STATE.error.cause)
        )
        _catch_with_adoption(
            self,
            transform,
            states.TRANSFORM_ADOPTION,
            job_adoption.TRANSFORM,
            job_name_path=STATE.transform.job_name,
            result_path=STATE.transform_job,
            completed=record_transform,
            failed=transform_failed,
        )
        record_transform.next(summarize)
        transform_not_recorded.next(summarize)

        # Before the definition is rendered: a retry added after the state machine is lost.
        for job in (preprocess, transform):
            retry_sagemaker_errors(job, capacity_bound_seconds=jobs.max_runtime.to_seconds())
        retry_sagemaker_errors(create_model)

        # A rerun (`ops rerun`) trains on the data its sweep preprocessed: the plan points at that
        # execution's outputs and component, and nothing is preprocessed again.
        reuse_preprocessing = sfn.Pass(
            self,
            states.REUSE_PREPROCESSING,
            result=sfn.Result.from_object(schema.dump(RecordingOutcome(recorded=True))),
            result_path=str(STATE.preprocessing_recording),
        )
        rerun_choice = (
            sfn.Choice(self, states.RERUN_CHOICE)
            .when(
                sfn.Condition.and_(
                    sfn.Condition.is_present(str(STATE.rerun_of)), sfn.Condition.is_string(str(STATE.rerun_of))
                ),
                reuse_preprocessing.next(trials),
            )
            .otherwise(preprocess)
        )
        preprocess.next(record_preprocessing).next(trials)
        trials.next(select_best).next(create_model).next(transform).next(record_transform)
        definition = validate.next(record_experiment).next(rerun_choice)
        self.state_machine = logged_state_machine(
            self,
            "StateMachine",
            definition=definition,
            key=key,
            log_retention=log_retention,
            timeout=Duration.hours(24),
            comment="Preprocess, train one trial per hyperparameter variant, pick the best, batch transform",
        )
        for statement in preprocess.policy_statements:
            self.state_machine.add_to_role_policy(statement)
        # TrainTrials's reader and writer grant their S3 actions (above); the bucket is SSE-KMS.
        key.grant(self.state_machine, "kms:Decrypt", "kms:GenerateDataKey")

    def _trial(self, functions, sagemaker_role, image_uri, key, bucket, jobs: JobSettings) -> sfn.IChainable:
        """Per trial: record it, train it (or adopt its job), record the outcome, hand on the result;
        neither a failed job nor a failed record state fails the Map."""
        it = ITERATION
        record_trial = _record(
            self,
            states.RECORD_TRIAL,
            functions[fns.RECORD_TRIAL],
            template(
                RecordTrialEvent,
                experiment_name=it.experiment_name,
                trial=it.trial,
                preprocessing_trial_component_name=it.preprocessing_trial_component_name,
            ),
            it.trial_recording,
        )
        extra = {
            "HyperParameters.$": str(it.trial.hyperparameters),
            # Channels and output path come from the state; the CDK's JSONPath S3Location would
            # grant S3 on "*" to the SageMaker role, so the CDK props only bind the runs/ prefix.
            "InputDataConfig": [
                {
                    "ChannelName": channel,
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3DataDistributionType": "FullyReplicated",
                            "S3Uri.$": f"States.Format('{{}}{channel}/', {it.preprocessing_output_s3_uri})",
                        }
                    },
                }
                for channel in contract.TRAINING_CHANNELS
            ],
            "OutputDataConfig": {"S3OutputPath.$": str(it.trial.output_s3_uri)},
            "ExperimentConfig": {
                "ExperimentName.$": str(it.experiment_name),
                "TrialName.$": str(it.trial.trial_name),
                "TrialComponentDisplayName": contract.TRAINING_DISPLAY_NAME,
            },
        }
        if jobs.mlflow_arn:
            # The job logs each epoch to the trial's MLflow run (jobs/tracking.py). MlflowConfig names
            # the App, experiment and run (API_MlflowConfig); the same three are in the Environment
            # under MLflow's own variables, which the job reads whatever SageMaker does with MlflowConfig.
            extra["MlflowConfig"] = {
                "MlflowResourceArn": jobs.mlflow_arn,
                "MlflowExperimentName.$": str(it.experiment_name),
                "MlflowRunName.$": str(it.trial.trial_name),
            }
            extra["Environment"] = {
                tracking.TRACKING_URI_ENV: jobs.mlflow_arn,
                f"{tracking.EXPERIMENT_NAME_ENV}.$": str(it.experiment_name),
                f"{tracking.RUN_NAME_ENV}.$": str(it.trial.trial_name),
            }
        if jobs.spot_training:
            extra.update(
                spot_training_parameters(max_wait=jobs.max_wait, checkpoint_s3_uri_path=str(it.trial.checkpoint_s3_uri))
            )
        train = SageMakerTrainingJob(
            self,
            states.TRAIN,
            extra_parameters=extra,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            training_job_name=sfn.JsonPath.string_at(str(it.trial.training_job_name)),
            role=sagemaker_role,
            algorithm_specification=tasks.AlgorithmSpecification(
                training_image=tasks.DockerImage.from_registry(image_uri),
                training_input_mode=tasks.InputMode.FILE,
                metric_definitions=[tasks.MetricDefinition(name=m.name, regex=m.regex) for m in contract.METRICS],
            ),
            output_data_config=tasks.OutputDataConfig(
                s3_output_location=tasks.S3Location.from_bucket(bucket, contract.RUNS_PREFIX),
                encryption_key=key,
            ),
            resource_config=tasks.ResourceConfig(
                instance_count=1,
                instance_type=_instance_type(jobs.training_instance_type),
                volume_size=Size.gibibytes(jobs.volume_size_gb),
                volume_encryption_key=_volume_key(key, jobs.training_instance_type),
            ),
            stopping_condition=tasks.StoppingCondition(max_runtime=jobs.max_runtime),
            # EnableNetworkIsolation: "If true, no inbound or outbound network calls can be made" (and
            # the container gets no AWS credentials): a job that logs to MLflow needs both.
            enable_network_isolation=not jobs.mlflow_arn,
            result_path=str(it.training),
        )
        # A sibling trial holds its instance until its stopping condition at the latest.
        retry_sagemaker_errors(
            train, capacity_bound_seconds=(jobs.max_wait if jobs.spot_training else jobs.max_runtime).to_seconds()
        )
        record_training = _record(
            self,
            states.RECORD_TRAINING,
            functions[fns.RECORD_TRAINING],
            template(
                RecordTrainingEvent,
                experiment_name=it.experiment_name,
                trial=it.trial,
                training=it.training,
                error=it.error,
            ),
            it.training_recording,
        )
        # The iteration's output (contract.events.TrialResult): SelectBest makes the outcome from it.
        trial_result = sfn.Pass(
            self,
            states.TRIAL_RESULT,
            parameters=template(
                TrialResult,
                trial_name=it.trial.trial_name,
                training_job_name=it.trial.training_job_name,
                training=it.training,
                error=it.error,
                trial_recording=it.trial_recording,
                training_recording=it.training_recording,
            ),
        )
        record_trial.add_catch(train, errors=[sfn.Errors.ALL], result_path=str(it.trial_recording))
        record_training.add_catch(trial_result, errors=[sfn.Errors.ALL], result_path=str(it.training_recording))
        # CDK drops null from rendered JSON, so "no error" / "no training result" is an empty object.
        trained = sfn.Pass(self, states.TRAINED, result=sfn.Result.from_object({}), result_path=str(it.error))
        not_trained = sfn.Pass(
            self, states.NOT_TRAINED, result=sfn.Result.from_object({}), result_path=str(it.training)
        )
        train.add_catch(
            self._adopt_training_job(trained, not_trained, record_training),
            errors=[sfn.Errors.ALL],
            result_path=str(it.error),
        )
        not_trained.next(record_training)
        return record_trial.next(train).next(trained).next(record_training).next(trial_result)

    def _adopt_training_job(
        self, trained: sfn.Pass, not_trained: sfn.Pass, record_training: sfn.IChainable
    ) -> sfn.IChainable:
        """After Train's Catch: a job that exists under the trial's name is described until it ends, and
        its outcome is the trial's; any other error goes to NotTrained."""
        it = ITERATION
        # A job that ended Failed or Stopped: its Describe is the training result (status, FailureReason),
        # from which the trial's outcome is made, as for any job; no error (the Create's is not the trial's).
        adopted_failed = sfn.Pass(
            self, states.ADOPTED_JOB_FAILED, result=sfn.Result.from_object({}), result_path=str(it.error)
        )
        adopted_failed.next(record_training)
        return job_adoption.adopt_existing_job(
            self,
            states.TRAINING_ADOPTION,
            job_adoption.TRAINING,
            job_name_path=str(it.trial.training_job_name),
            error_path=str(it.error),
            result_path=str(it.training),
            completed=trained,
            ended_unsuccessfully=adopted_failed,
            not_adopted=not_trained,
            retry=retry_sagemaker_errors,
        )


def _catch_with_adoption(
    scope: Construct,
    job: sfn.TaskStateBase,
    names: states.JobAdoption,
    kind: job_adoption.SageMakerJobKind,
    *,
    job_name_path,
    result_path,
    completed: sfn.IChainable,
    failed: sfn.IChainable,
) -> None:
    """A top-level job state's Catch (error at STATE.error): a job that holds its name is adopted, and
    goes on to `completed` or, ended Failed or Stopped, to `failed` with an error whose cause is its
    Describe, as a `.sync` task's is (TaskError.reason reads FailureReason from it); any other error
    goes to `failed` as caught."""
    adopted_failed = sfn.Pass(
        scope,
        names.failed,
        parameters={"Error": errors.ADOPTED_JOB_FAILED, "Cause.$": f"States.JsonToString({result_path})"},
        result_path=str(STATE.error),
    )
    job.add_catch(
        job_adoption.adopt_existing_job(
            scope,
            names,
            kind,
            job_name_path=str(job_name_path),
            error_path=str(STATE.error),
            result_path=str(result_path),
            completed=completed,
            ended_unsuccessfully=adopted_failed.next(failed),
            not_adopted=failed,
            retry=retry_sagemaker_errors,
        ),
        errors=[sfn.Errors.ALL],
        result_path=str(STATE.error),
    )


def retry_sagemaker_errors(state, *, capacity_bound_seconds: float | None = None) -> None:
    """Retry a SageMaker call that the API refused.

    Capacity (a job's instance quota, which frees up as other jobs finish): for at least
    `capacity_bound_seconds`, the longest a job holding the quota can run (infra/constructs/capacity_retry.py).
    Any other API error (throttling, or a request SageMaker rejects): ~14 s at most, long enough to
    ride out throttling and short enough that a ValidationException fails the state within seconds.
    """
    if capacity_bound_seconds is not None:
        retry = capacity_retry(int(capacity_bound_seconds))
        state.add_retry(
            errors=CAPACITY_ERRORS,
            interval=Duration.seconds(retry.interval_seconds),
            backoff_rate=retry.backoff_rate,
            max_delay=Duration.seconds(retry.max_delay_seconds),
            max_attempts=retry.max_attempts,
        )
    state.add_retry(
        errors=SAGEMAKER_API_ERRORS,
        interval=Duration.seconds(2),
        backoff_rate=2,
        max_attempts=3,
        jitter_strategy=sfn.JitterType.FULL,
    )


def _record(scope: Construct, id: str, function, payload, outcome_path) -> tasks.LambdaInvoke:
    """A record state: `{"recorded": true}` at `outcome_path` when it recorded; the caller's Catch puts
    the error there instead (contract.events.RecordingOutcome)."""
    return _invoke(scope, id, function, payload, result_path=str(outcome_path), result_selector=dict(RECORDED))


def _invoke(scope: Construct, id: str, function, payload, **kwargs) -> tasks.LambdaInvoke:
    """A Lambda task that retries throttling; its result is discarded unless an output or result path
    says otherwise."""
    if "output_path" not in kwargs and "result_path" not in kwargs:
        kwargs["result_path"] = sfn.JsonPath.DISCARD
    task_input = (
        payload
        if isinstance(payload, sfn.TaskInput)
        else (
            sfn.TaskInput.from_json_path_at(payload) if isinstance(payload, str) else sfn.TaskInput.from_object(payload)
        )
    )
    return fns.retry_throttling(tasks.LambdaInvoke(scope, id, lambda_function=function, payload=task_input, **kwargs))


# Families whose instances bring NVMe instance storage without a "d" in their name.
_INSTANCE_STORE_FAMILIES = frozenset({"g5", "g6", "gr6", "p5", "p6", "trn1", "trn2", "i3", "i4"})


def has_instance_storage(sagemaker_type: str) -> bool:
    """Whether a SageMaker instance type has local instance storage (m5d, c5d, g4dn, p4d, g5, ...).

    The API reference (ResourceConfig, ProcessingClusterConfig, TransformResources): "You can't
    request a VolumeKmsKeyId when using an instance type with local storage"; such volumes are
    encrypted by a hardware module on the instance. The request would fail validation.
    """
    family = sagemaker_type.removeprefix("ml.").split(".")[0].split("-")[0]
    match = re.fullmatch(r"([a-z]+)(\d+)([a-z]*)", family)
    if match is None:
        return False
    letters, generation, suffix = match.groups()
    return "d" in suffix or f"{letters}{generation}" in _INSTANCE_STORE_FAMILIES


def _volume_key(key: kms.IKey, sagemaker_type: str) -> kms.IKey | None:
    """The project key for a job's EBS volume; none for a type whose local storage SageMaker
    encrypts itself (it rejects a key there)."""
    return None if has_instance_storage(sagemaker_type) else key


def _instance_type(sagemaker_type: str) -> ec2.InstanceType:
    # The CDK renders ec2.InstanceType("m5.large") as "ml.m5.large".
    return ec2.InstanceType(sagemaker_type.removeprefix("ml."))


def _processing_request(image_uri: str, key: kms.IKey, jobs: JobSettings) -> dict:
    """CreateProcessingJob Parameters (RoleArn is added by the task)."""
    return {
        "ProcessingJobName.$": str(STATE.preprocessing.job_name),
        "AppSpecification": {"ImageUri": image_uri, "ContainerEntrypoint": list(contract.PREPROCESS_ENTRYPOINT)},
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": jobs.processing_instance_type,
                "VolumeSizeInGB": jobs.volume_size_gb,
                **({"VolumeKmsKeyId": key.key_arn} if _volume_key(key, jobs.processing_instance_type) else {}),
            }
        },
        "ProcessingInputs": [
            {
                "InputName": contract.RAW_INPUT,
                "S3Input": {
                    "S3Uri.$": str(STATE.dataset.s3_uri),
                    "LocalPath": str(CONTAINER.processing_input(contract.RAW_INPUT)),
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                },
            }
        ],
        "ProcessingOutputConfig": {
            "KmsKeyId": key.key_arn,
            "Outputs": [
                {
                    "OutputName": name,
                    "S3Output": {
                        "S3Uri.$": f"States.Format('{{}}{name}/', {STATE.preprocessing.output_s3_uri})",
                        "LocalPath": str(CONTAINER.processing_output(name)),
                        "S3UploadMode": "EndOfJob",
                    },
                }
                for name in contract.PROCESSING_OUTPUTS
            ],
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": int(jobs.max_runtime.to_seconds())},
        "NetworkConfig": {"EnableNetworkIsolation": True},
        # SageMaker records the job as trial component `<job>-aws-processing-job` on the first trial;
        # RecordTrial associates it with every other trial.
        "ExperimentConfig": {
            "ExperimentName.$": str(STATE.experiment_name),
            "TrialName.$": str(STATE.preprocessing.trial_name),
            "TrialComponentDisplayName": contract.PREPROCESSING_DISPLAY_NAME,
        },
    }
