"""The experiment and trial actions: Create, Describe, Update, Delete and List of each."""

from __future__ import annotations

from local_cloud.experiments.exceptions import ValidationException
from local_cloud.experiments.models import (
    Experiment,
    Names,
    Trial,
    drop_none,
    name_of,
    now,
    optional_name_of,
    tags_of,
)
from local_cloud.experiments.store import RecordStore


class ExperimentAndTrialActions(RecordStore):
    # --- experiments ------------------------------------------------------------------------------
    def create_experiment(self, request: dict) -> dict:
        name = name_of(request, "ExperimentName")
        if name in self.experiments:
            # The real API refuses a second create of a name with ValidationException
            # "... with name (...) already exists." (the SageMaker SDK's _load_or_create relies on it).
            raise ValidationException(f"Experiment with name ({name}) already exists.")
        created = now()
        experiment = Experiment(
            name=name,
            arn=self._arn("experiment", name),
            seq=self._next_seq(),
            display_name=optional_name_of(request, "DisplayName") or name,
            creation_time=created,
            last_modified_time=created,
            created_by=self._created_by(),
            tags=tags_of(request),
            description=request.get("Description"),
        )
        self.experiments[name] = experiment
        return {"ExperimentArn": experiment.arn}

    def describe_experiment(self, request: dict) -> dict:
        e = self._experiment(name_of(request, "ExperimentName"))
        return drop_none(
            {
                "ExperimentName": e.name,
                "ExperimentArn": e.arn,
                "DisplayName": e.display_name,
                "Source": e.source,
                "Description": e.description,
                "CreationTime": e.creation_time,
                "CreatedBy": e.created_by,
                "LastModifiedTime": e.last_modified_time,
                "LastModifiedBy": e.created_by,
            }
        )

    def update_experiment(self, request: dict) -> dict:
        e = self._experiment(name_of(request, "ExperimentName"))
        if request.get("DisplayName") is not None:
            e.display_name = name_of(request, "DisplayName")
        if request.get("Description") is not None:
            e.description = request["Description"]
        self._touch(e)
        return {"ExperimentArn": e.arn}

    def delete_experiment(self, request: dict) -> dict:
        name = name_of(request, "ExperimentName")
        e = self._experiment(name)
        # DeleteExperiment: "All trials associated with the experiment must be deleted first.
        # Use the ListTrials API to get a list of the trials associated with the experiment."
        remaining = [t for t in self.trials.values() if t.experiment_name.lower() == name.lower()]
        if remaining:
            raise ValidationException(
                f"Experiment '{e.arn}' has {len(remaining)} trial(s) and cannot be deleted. "
                "All trials associated with the experiment must be deleted first."
            )
        del self.experiments[name]
        return {"ExperimentArn": e.arn}

    def list_experiments(self, request: dict) -> dict:
        records, key = self._sorted(self._created_between(list(self.experiments.values()), request), request)
        page, token = self._page(records, request, key)
        return drop_none(
            {
                "ExperimentSummaries": [
                    drop_none(
                        {
                            "ExperimentName": e.name,
                            "ExperimentArn": e.arn,
                            "DisplayName": e.display_name,
                            "ExperimentSource": e.source,
                            "CreationTime": e.creation_time,
                            "LastModifiedTime": e.last_modified_time,
                        }
                    )
                    for e in page
                ],
                "NextToken": token,
            }
        )

    # --- trials -----------------------------------------------------------------------------------
    def create_trial(self, request: dict) -> dict:
        name = name_of(request, "TrialName")
        experiment_name = name_of(request, "ExperimentName")
        if name in self.trials:
            raise ValidationException(f"Trial with name ({name}) already exists.")
        experiment_name = self._experiment(experiment_name).name
        created = now()
        trial = Trial(
            name=name,
            arn=self._arn("experiment-trial", name),
            seq=self._next_seq(),
            display_name=optional_name_of(request, "DisplayName") or name,
            creation_time=created,
            last_modified_time=created,
            created_by=self._created_by(),
            tags=tags_of(request),
            experiment_name=experiment_name,
            metadata_properties=request.get("MetadataProperties"),
        )
        self.trials[name] = trial
        self._components_of_trial[name] = Names()
        return {"TrialArn": trial.arn}

    def describe_trial(self, request: dict) -> dict:
        t = self._trial(name_of(request, "TrialName"))
        return drop_none(
            {
                "TrialName": t.name,
                "TrialArn": t.arn,
                "DisplayName": t.display_name,
                "ExperimentName": t.experiment_name,
                "Source": t.source,
                "CreationTime": t.creation_time,
                "CreatedBy": t.created_by,
                "LastModifiedTime": t.last_modified_time,
                "LastModifiedBy": t.created_by,
                "MetadataProperties": t.metadata_properties,
            }
        )

    def update_trial(self, request: dict) -> dict:
        t = self._trial(name_of(request, "TrialName"))
        if request.get("DisplayName") is not None:
            t.display_name = name_of(request, "DisplayName")
        self._touch(t)
        return {"TrialArn": t.arn}

    def delete_trial(self, request: dict) -> dict:
        name = name_of(request, "TrialName")
        t = self._trial(name)
        # DeleteTrial: "Deletes the specified trial. All trial components that make up the trial
        # must be deleted first." (Disassociating them is enough: the trial is then empty.)
        held = self._components_of_trial.get(name, {})
        if held:
            raise ValidationException(
                f"Trial '{t.arn}' has {len(held)} trial component(s) associated and cannot be deleted. "
                "All trial components that make up the trial must be deleted or disassociated first."
            )
        del self.trials[name]
        self._components_of_trial.pop(name, None)
        return {"TrialArn": t.arn}

    def list_trials(self, request: dict) -> dict:
        records: list[Trial] = list(self.trials.values())
        experiment_name = optional_name_of(request, "ExperimentName")
        if experiment_name is not None:
            self._experiment(experiment_name)
            records = [t for t in records if t.experiment_name.lower() == experiment_name.lower()]
        component_name = optional_name_of(request, "TrialComponentName")
        if component_name is not None:
            # ListTrials: "Specify a trial component name to limit the list to the trials that
            # associated with that trial component."
            self._component(component_name)
            holders = self._trials_of_component.get(component_name, {})
            records = [t for t in records if t.name in holders]
        records, key = self._sorted(self._created_between(records, request), request)
        page, token = self._page(records, request, key)
        return drop_none(
            {
                "TrialSummaries": [
                    drop_none(
                        {
                            "TrialName": t.name,
                            "TrialArn": t.arn,
                            "DisplayName": t.display_name,
                            "TrialSource": t.source,
                            "CreationTime": t.creation_time,
                            "LastModifiedTime": t.last_modified_time,
                        }
                    )
                    for t in page
                ],
                "NextToken": token,
            }
        )
