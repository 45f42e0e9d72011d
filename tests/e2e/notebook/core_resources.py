"""An execution's records and jobs read with sagemaker-core's resources, whose pydantic shapes check every answer.

Run by tests/e2e/test_notebook_sdk.py in .venv-sdk against the local cloud (AWS_ENDPOINT_URL). A field
of the wrong type or a missing required one in a local answer fails the `get` here. argv: the
experiment's name. Prints what it read as one JSON line.
"""

import json
import sys

from sagemaker_core.resources import Experiment, ProcessingJob, TrainingJob, TransformJob, Trial, TrialComponent
from sagemaker_core.shapes import Unassigned

JOBS = {
    "SageMakerTrainingJob": TrainingJob,
    "SageMakerProcessingJob": ProcessingJob,
    "SageMakerTransformJob": TransformJob,
}


def assigned(value):
    return None if isinstance(value, Unassigned) else value


experiment = Experiment.get(experiment_name=sys.argv[1])
components, jobs = {}, {}
for trial in Trial.get_all(experiment_name=experiment.experiment_name):
    for summary in TrialComponent.get_all(trial_name=trial.trial_name):
        component = TrialComponent.get(trial_component_name=summary.trial_component_name)
        source = assigned(component.source)
        components[component.trial_component_name] = {
            "source_type": source.source_type if source else None,
            "status": component.status.primary_status,
            "message": assigned(component.status.message),
            "parameters": {
                name: "number" if assigned(value.number_value) is not None else "string"
                for name, value in (assigned(component.parameters) or {}).items()
            },
            "metrics": {m.metric_name: m.count for m in assigned(component.metrics) or []},
        }
        if source and source.source_type in JOBS:
            kind = JOBS[source.source_type]
            job = kind.get(source.source_arn.rsplit("/", 1)[1])
            status = next(
                getattr(job, f)
                for f in ("training_job_status", "processing_job_status", "transform_job_status")
                if hasattr(job, f)
            )
            jobs[source.source_arn] = {"kind": kind.__name__, "status": status}
print(json.dumps({"experiment": experiment.experiment_name, "components": components, "jobs": jobs}))
