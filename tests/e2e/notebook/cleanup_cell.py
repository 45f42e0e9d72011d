"""The MNIST notebook's `cleanup(experiment)` cell (seeds/002), verbatim, run with sagemaker-experiments.

Run by tests/e2e/test_notebook_sdk.py in .venv-sdk against the local cloud (AWS_ENDPOINT_URL). argv: the
experiment's name.
"""

import sys
import time

# The notebook's imports and client, as written there.
import boto3
from smexperiments.experiment import Experiment
from smexperiments.trial import Trial
from smexperiments.trial_component import TrialComponent

sess = boto3.Session()
sm = sess.client("sagemaker")
mnist_experiment = Experiment.load(experiment_name=sys.argv[1], sagemaker_boto_client=sm)


# --- the notebook's cell, unchanged (but for the endpoint it has no predictor here) -------------------
def cleanup(experiment):
    for trial_summary in experiment.list_trials():
        trial = Trial.load(sagemaker_boto_client=sm, trial_name=trial_summary.trial_name)
        for trial_component_summary in trial.list_trial_components():
            tc = TrialComponent.load(
                sagemaker_boto_client=sm, trial_component_name=trial_component_summary.trial_component_name
            )
            trial.remove_trial_component(tc)
            try:
                # comment out to keep trial components
                tc.delete()
            except:  # noqa: E722 - the notebook's own bare except: "tc is associated with another trial"
                # tc is associated with another trial
                continue
            # to prevent throttling
            time.sleep(0.5)
        trial.delete()
    experiment.delete()


cleanup(mnist_experiment)
print("cleaned up", sys.argv[1])
