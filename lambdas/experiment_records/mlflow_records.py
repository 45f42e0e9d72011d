"""An execution's MLflow records: its parent run, the preprocessing run, a nested run per trial, the best trial.

Idempotent like the SageMaker records (a retried state finds its runs by their tags and writes the
same values again). Every method raises MlflowError; the callers turn it into an MlflowMiss, so that a
tracking server that is down or refuses a call never fails a trial or the execution.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import contract
from contract import names, tracking
from contract.events import COMPLETED, BestTrial, MlflowMiss, TrialOutcome
from contract.run_plan import RunPlan, TransformPlan, TrialPlan
from lambdas.experiment_records.mlflow_client import Endpoint, MlflowClient, MlflowError, start_time

EPOCH_METRIC = "test:accuracy"  # the metric whose history tells whether the job logged every epoch


def now_ms() -> int:
    return int(time.time() * 1000)


def client_from_environment() -> MlflowClient | None:
    """None when tracking is off (the stack was deployed with mlflowTracking=false)."""
    endpoint = Endpoint.from_environment()
    return MlflowClient(endpoint) if endpoint else None


class ExecutionRuns:
    """One execution's runs in the MLflow experiment named like its SageMaker experiment."""

    def __init__(self, client: MlflowClient, experiment_name: str, execution_name: str) -> None:
        self.client = client
        self.experiment_name = experiment_name
        self.execution_name = execution_name
        self.execution_id = names.run_id(experiment_name, execution_name)
        self._experiment_id: str | None = None

    @property
    def experiment_id(self) -> str:
        if self._experiment_id is None:
            found = self.client.experiment_id(self.experiment_name, create=True)
            assert found is not None, "create=True returns an id or raises"
            self._experiment_id = found
        return self._experiment_id

    def parent_run(self) -> str:
        """The execution's run, created if absent."""
        found = self.client.find_run(self.experiment_id, tracking.execution_filter(self.execution_id))
        if found:
            return found["info"]["run_id"]
        return self.client.create_run(
            self.experiment_id,
            self.execution_name,
            {
                tracking.EXECUTION_TAG: self.execution_name,
                tracking.EXECUTION_ID_TAG: self.execution_id,
            },
            now_ms(),
        )

    def nested_run(self, run_name: str, tags: dict[str, str], filter_string: str, parent_run_id: str) -> str:
        """A run under the parent, found by `filter_string` (a job may have made it) or created."""
        found = self.client.find_run(self.experiment_id, filter_string)
        if found:
            return found["info"]["run_id"]
        return self.client.create_run(
            self.experiment_id, run_name, {**tags, tracking.PARENT_RUN_TAG: parent_run_id}, now_ms()
        )

    # --- what the states record -----------------------------------------------------------------------
    def record_execution(self, plan: RunPlan) -> str:
        parent = self.parent_run()
        params = {"objective.metric": plan.objective.metric, "objective.goal": plan.objective.goal}
        self.client.log_batch(
            parent,
            params=params,
            tags={"dataset": plan.dataset.s3_uri, **({"rerunOf": plan.rerun_of} if plan.rerun_of else {})},
        )
        return parent

    def record_preprocessing(self, plan: RunPlan, status: str, stats: dict, failure: str | None) -> None:
        parent = self.parent_run()
        job = plan.preprocessing.job_name
        run = self.nested_run(
            tracking.PREPROCESSING_RUN_NAME,
            {tracking.PROCESSING_JOB_TAG: job},
            tracking.nested_filter(tracking.PREPROCESSING_RUN_NAME, tracking.PROCESSING_JOB_TAG, job),
            parent,
        )
        outputs = {
            f"output.{name}": f"{plan.preprocessing.output_s3_uri}{name}/" for name in contract.PROCESSING_OUTPUTS
        }
        tags = {tracking.STATUS_TAG: status, "input.raw": plan.dataset.s3_uri, **outputs}
        if failure:
            tags[tracking.FAILURE_REASON_TAG] = failure
        self.client.log_batch(run, params={k: str(v) for k, v in stats.items()}, tags=tags)
        self.client.end_run(run, tracking.end_status(status == COMPLETED), now_ms())

    def record_transform(self, transform: TransformPlan, model_name: str, best: BestTrial) -> None:
        """The completed transform: a nested run with the model it ran and where it read and wrote."""
        parent = self.parent_run()
        run = self.nested_run(
            tracking.TRANSFORM_RUN_NAME,
            {tracking.TRANSFORM_JOB_TAG: transform.job_name},
            tracking.nested_filter(tracking.TRANSFORM_RUN_NAME, tracking.TRANSFORM_JOB_TAG, transform.job_name),
            parent,
        )
        self.client.log_batch(
            run,
            params={"model": model_name, "trial": best.trial_name},
            tags={
                tracking.STATUS_TAG: COMPLETED,
                tracking.MODEL_ARTIFACT_TAG: best.model_artifact,
                "input": transform.input_s3_uri,
                "output": transform.output_s3_uri,
            },
        )
        self.client.end_run(run, tracking.RUN_FINISHED, now_ms())

    def has_preprocessing_run(self, job: str) -> bool:
        found = self.client.find_run(
            self.experiment_id,
            tracking.nested_filter(tracking.PREPROCESSING_RUN_NAME, tracking.PROCESSING_JOB_TAG, job),
        )
        return found is not None

    def record_trials(
        self, plan: list[TrialPlan], outcomes: list[TrialOutcome], best: BestTrial | None, transform: dict[str, str]
    ) -> list[MlflowMiss]:
        """Each trial's run completed from its outcome (params, tags, status), the best trial on the parent.

        A call the server refuses is a miss of that trial; a server that cannot be reached misses every
        trial not yet recorded, as each further call would wait out its timeout."""
        plans = {trial.trial_name: trial for trial in plan}
        # This execution's trials only: a rerun's earlier completed trials were recorded by their execution.
        outcomes = [outcome for outcome in outcomes if outcome.trial_name in plans]
        parent = self.parent_run()
        # One search of the experiment's active runs: a job made its trial's run without knowing the
        # parent, so the runs are matched by their trial tag (the oldest wins, as in find_run).
        wanted = set(plans)
        by_trial: dict[str, str] = {}
        for run in sorted(self.client.search_runs(self.experiment_id), key=start_time, reverse=True):
            trial_name = run_tags(run).get(tracking.TRIAL_TAG, "")
            if trial_name in wanted:
                by_trial[trial_name] = run["info"]["run_id"]
        misses: dict[tuple[str, str], list[str]] = {}
        unreachable: MlflowError | None = None
        for index, outcome in enumerate(outcomes):
            trial = plans.get(outcome.trial_name)
            try:
                short = self._record_trial(outcome, trial, by_trial.get(outcome.trial_name), parent)
            except MlflowError as error:
                if not error.code:  # unreachable: the rest cannot be recorded either
                    unreachable = error
                    misses.setdefault(("trial runs", str(error)), []).extend(o.trial_name for o in outcomes[index:])
                    break
                misses.setdefault(("trial run", str(error)), []).append(outcome.trial_name)
                continue
            if short:
                misses.setdefault(("per-epoch metrics", short), []).append(outcome.trial_name)
        found = [MlflowMiss(what=what, reason=reason, trials=trials) for (what, reason), trials in misses.items()]
        try:
            if unreachable:
                raise unreachable
            self._record_best(parent, best, transform)
        except MlflowError as error:
            found.append(MlflowMiss(what="the best trial on the execution run", reason=str(error)))
        return found

    def _record_trial(self, outcome: TrialOutcome, trial: TrialPlan | None, run_id: str | None, parent: str) -> str:
        """Records the trial; returns why its per-epoch metrics fall short ('' when they are all there)."""
        tags = {
            tracking.TRIAL_TAG: outcome.trial_name,
            tracking.TRAINING_JOB_TAG: outcome.training_job_name,
            tracking.STATUS_TAG: outcome.status,
            tracking.EXECUTION_TAG: self.execution_name,
            tracking.PARENT_RUN_TAG: parent,
        }
        if outcome.failure_reason:
            tags[tracking.FAILURE_REASON_TAG] = outcome.failure_reason
        if outcome.model_artifact:
            tags[tracking.MODEL_ARTIFACT_TAG] = outcome.model_artifact
        if run_id is None:  # the job never logged (it did not start, or could not reach the server)
            run_id = self.nested_run(outcome.trial_name, tags, tracking.trial_filter(outcome.trial_name), parent)
        self.client.log_batch(run_id, params=dict(outcome.hyperparameters), tags=tags)
        self.client.end_run(run_id, tracking.end_status(outcome.status == COMPLETED), now_ms())
        if outcome.status != COMPLETED or trial is None:
            return ""
        expected = int(float(trial.hyperparameters.get("epochs", "0") or 0))
        logged = len(self.client.metric_history(run_id, EPOCH_METRIC))
        if logged < expected:
            return f"the run holds {logged} of {expected} epochs of {EPOCH_METRIC} (the job could not log them)"
        return ""

    def _record_best(self, parent: str, best: BestTrial | None, transform: dict[str, str]) -> None:
        tags = dict(transform)
        if best is not None:
            tags.update(
                {
                    tracking.BEST_TRIAL_TAG: best.trial_name,
                    tracking.BEST_METRIC_TAG: best.metric,
                    tracking.BEST_VALUE_TAG: repr(best.value),
                    tracking.MODEL_ARTIFACT_TAG: best.model_artifact,
                }
            )
        self.client.log_batch(parent, tags=tags)
        self.client.end_run(parent, tracking.end_status(best is not None), now_ms())


def run_tags(run: dict) -> dict[str, str]:
    return {tag["key"]: tag.get("value", "") for tag in (run.get("data") or {}).get("tags") or []}


def recorded(call: Callable[[], object], what: str) -> list[MlflowMiss]:
    """Runs one MLflow recording; [] when it was recorded, else the miss."""
    try:
        call()
    except MlflowError as error:
        return [MlflowMiss(what=what, reason=str(error))]
    return []


def delete_experiment(client: MlflowClient, experiment_name: str) -> int:
    """Deletes the experiment's active runs, then the experiment; the runs deleted (0 when it is gone).

    MLflow deletes softly: runs and the experiment move to the "deleted" lifecycle stage, where the UI
    and the searches of active runs no longer show them, and the backend keeps them until it is purged
    (`mlflow gc` on a server one runs; a SageMaker MLflow App offers no purge)."""
    experiment_id = client.experiment_id(experiment_name, create=False)
    if experiment_id is None:
        return 0
    runs = client.search_runs(experiment_id)
    for run in runs:
        client.delete_run(run["info"]["run_id"])
    client.delete_experiment(experiment_id)
    return len(runs)
