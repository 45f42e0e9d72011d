"""cleanup_experiment killed after every API call in turn: a rerun always finishes the job.

A Lambda can be killed at any point (timeout, out of memory, a crash of the sandbox). The kill is
simulated by an exception no code catches, raised by the function's own SageMaker client right
after the N-th API call has taken effect. The rerun is a fresh cleanup of the same experiment
(what an operator starts after a failed execution; a Step Functions retry sends the same input,
which is no more than that). Nothing of the experiment may remain, and nothing else may change.
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.cleanup_experiment import handler as cleanup
from lambdas.cleanup_experiment.cleanup import LEDGER_KEY_PREFIX
from lambdas.experiment_records.clients import RETRY_CONFIG
from tests.lambdas.records_world import build_experiment, snapshot, without


class Killed(BaseException):
    """The function dies here: not an Exception, so nothing in the function handles it."""


class CallCounter:
    """Counts the function's API calls; raises Killed after call number `kill_after`."""

    def __init__(self, kill_after: int | None = None) -> None:
        self.kill_after = kill_after
        self.calls: list[str] = []

    def client(self):
        client = boto3.client("sagemaker", region_name="us-east-1", config=RETRY_CONFIG)
        client.meta.events.register("after-call.sagemaker", self._after_call)
        return client

    def _after_call(self, model, **_) -> None:
        self.calls.append(model.name)
        if self.kill_after is not None and len(self.calls) == self.kill_after:
            raise Killed(f"killed after call {len(self.calls)} ({model.name})")


def run_until_done(event: dict, context, *, max_passes: int = 20) -> dict:
    for _ in range(max_passes):
        event = cleanup.handler(event, context)
        if event["done"]:
            return event
    raise AssertionError(f"not done after {max_passes} passes: {event}")


def build_world(backend, name: str) -> tuple[dict, dict]:
    """`name` with 3 trials, its preprocessing component shared with another experiment's 2
    trials, and an experiment whose name starts like it; returns (world of `name`, expected after)."""
    world = build_experiment(backend, name, 3)
    build_experiment(backend, f"{name}-other", 2, preprocessing=world["preprocessing"])
    build_experiment(backend, f"{name}-2", 2)
    build_experiment(backend, f"{name}x", 1)
    # A component of its own held by two of its trials (held by nothing else).
    backend.call("CreateTrialComponent", {"TrialComponentName": f"{name}-evaluation"})
    for trial in world["trials"][:2]:
        backend.call("AssociateTrialComponent", {"TrialComponentName": f"{name}-evaluation", "TrialName": trial})
    world["training"].append(f"{name}-evaluation")
    expected = without(snapshot(backend), name, world, keep=[world["preprocessing"]])
    return world, expected


def test_killed_after_any_api_call_a_rerun_leaves_nothing_of_the_experiment(backend, context, monkeypatch):
    reference = CallCounter()
    monkeypatch.setattr(cleanup, "sagemaker_client", reference.client)
    _, expected = build_world(backend, "ref")
    assert run_until_done({"experimentName": "ref"}, context)["passes"] == 1
    assert snapshot(backend) == expected
    total = len(reference.calls)
    assert {"Search", "AddTags", "DisassociateTrialComponent", "DeleteTrialComponent", "DeleteTrial"} <= set(
        reference.calls
    )

    for kill_after in range(1, total + 1):
        name = f"exp{kill_after}"
        world, expected = build_world(backend, name)
        killer = CallCounter(kill_after)
        monkeypatch.setattr(cleanup, "sagemaker_client", killer.client)
        with pytest.raises(Killed):
            cleanup.handler({"experimentName": name, "keepComponents": False}, context)
        killed_at = killer.calls[-1]

        monkeypatch.setattr(cleanup, "sagemaker_client", CallCounter().client)
        out = run_until_done({"experimentName": name, "keepComponents": False}, context)

        assert snapshot(backend) == expected, f"killed after call {kill_after} ({killed_at})"
        assert out["left"] == {"trials": 0, "trialComponents": 0}


def test_a_kill_between_the_last_disassociation_and_the_deletion_is_found_through_the_ledger(
    backend, context, monkeypatch
):
    world = build_experiment(backend, "mnist", 2)
    component = world["training"][0]
    last_request: dict = {}

    def before_call(params, **_):
        last_request["body"] = params.get("body") or b""

    def after_call(model, **_):
        body = last_request["body"]
        body = body.decode() if isinstance(body, bytes) else str(body)
        if model.name == "DisassociateTrialComponent" and f'"{component}"' in body:
            raise Killed

    def client():
        c = CallCounter().client()
        c.meta.events.register("before-call.sagemaker", before_call)
        c.meta.events.register("after-call.sagemaker", after_call)
        return c

    monkeypatch.setattr(cleanup, "sagemaker_client", client)
    with pytest.raises(Killed):
        cleanup.handler({"experimentName": "mnist"}, context)

    # The component is orphaned: no trial holds it, the Search by experiment no longer finds it.
    assert component in backend.components and backend.trials_holding(component) == []
    tags = backend.call("ListTags", {"ResourceArn": backend.experiments["mnist"].arn})["Tags"]
    ledger = " ".join(t["Value"] for t in tags if t["Key"].startswith(LEDGER_KEY_PREFIX)).split()
    assert component in ledger

    monkeypatch.setattr(cleanup, "sagemaker_client", CallCounter().client)
    run_until_done({"experimentName": "mnist"}, context)
    assert component not in backend.components
    assert snapshot(backend) == {"experiments": [], "trials": [], "components": [], "associations": []}


def test_killed_in_every_pass_it_still_gets_there(backend, context, monkeypatch):
    """Each pass dies after a few calls (reads, the ledger, some deletes): the passes still add up."""
    _, expected = build_world(backend, "mnist")
    kills = 0
    for _ in range(40):
        monkeypatch.setattr(cleanup, "sagemaker_client", CallCounter(kill_after=8).client)
        try:
            out = cleanup.handler({"experimentName": "mnist"}, context)
        except Killed:
            kills += 1
            continue
        if out["done"]:
            break
    else:
        raise AssertionError("never finished")
    assert kills > 2
    assert snapshot(backend) == expected


def test_keep_components_killed_anywhere_keeps_every_component_and_deletes_the_rest(backend, context, monkeypatch):
    reference = CallCounter()
    monkeypatch.setattr(cleanup, "sagemaker_client", reference.client)
    build_experiment(backend, "ref", 2)
    run_until_done({"experimentName": "ref", "keepComponents": True}, context)
    for kill_after in range(1, len(reference.calls) + 1):
        name = f"keep{kill_after}"
        world = build_experiment(backend, name, 2)
        monkeypatch.setattr(cleanup, "sagemaker_client", CallCounter(kill_after).client)
        with pytest.raises(Killed):
            cleanup.handler({"experimentName": name, "keepComponents": True}, context)
        monkeypatch.setattr(cleanup, "sagemaker_client", CallCounter().client)
        run_until_done({"experimentName": name, "keepComponents": True}, context)
        after = snapshot(backend)
        assert name not in after["experiments"] and not set(world["trials"]) & set(after["trials"])
        assert {world["preprocessing"], *world["training"]} <= set(after["components"])
        assert all(t not in world["trials"] for _, t in after["associations"])


def test_an_experiment_with_no_room_for_the_ledger_is_still_cleaned_up(backend, context):
    build_experiment(backend, "mnist", 2)
    arn = backend.experiments["mnist"].arn
    backend.call("AddTags", {"ResourceArn": arn, "Tags": [{"Key": f"team-{i}", "Value": "x"} for i in range(50)]})
    out = run_until_done({"experimentName": "mnist"}, context)
    assert out["deleted"] == {"associations": 4, "trialComponents": 3, "trials": 2, "experiment": 1}
    assert snapshot(backend)["experiments"] == []


@pytest.mark.parametrize(
    "actions, seed",
    [
        (["DeleteTrialComponent"], 11),
        (["DeleteTrialComponent", "AddTags"], 5),
        (["DisassociateTrialComponent", "DeleteTrialComponent", "ListTags"], 8),
        (None, 2),  # every action
    ],
)
def test_after_every_pass_each_component_left_is_held_by_a_trial_or_in_the_ledger(
    backend, context, quick_retries, actions, seed
):
    """Calls throttled beyond the client's retries end passes anywhere, e.g. between a
    component's release and its deletion; whatever a pass leaves stays findable."""
    world = build_experiment(backend, "mnist", 4)
    ours = [world["preprocessing"], *world["training"]]
    backend.inject_throttling(0.9, seed=seed, actions=actions)
    event: dict = {"experimentName": "mnist", "done": False}
    undone = 0
    while not event["done"] and undone < 30:
        event = cleanup.handler(event, context)
        if event["done"]:
            break
        undone += 1
        tags = backend.experiments["mnist"].tags  # read past the throttling
        ledger = set(" ".join(v for k, v in tags.items() if k.startswith(LEDGER_KEY_PREFIX)).split())
        lost = [c for c in ours if c in backend.components and not backend.trials_holding(c) and c not in ledger]
        assert not lost, f"pass {undone}: neither held nor recorded: {lost}"
        if undone == 5:
            backend.inject_throttling(0.0)
    assert undone > 0 and sum(backend.throttled.values()) > 0
    assert snapshot(backend) == {"experiments": [], "trials": [], "components": [], "associations": []}
