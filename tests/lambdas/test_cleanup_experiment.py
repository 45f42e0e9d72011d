"""cleanup_experiment against the enforcing Experiments API: order, sharing, resuming, throttling."""

from __future__ import annotations

import pytest

from lambdas.cleanup_experiment import handler as cleanup
from tests.lambdas.conftest import FakeContext
from tests.lambdas.records_world import build_experiment, snapshot, without

EMPTY: dict[str, list] = {"experiments": [], "trials": [], "components": [], "associations": []}


def run_until_done(event: dict, context, *, max_passes: int = 50) -> tuple[dict, int]:
    """What the cleanup state machine does: call again with the previous output until done."""
    for passes in range(1, max_passes + 1):
        event = cleanup.handler(event, context)
        if event["done"]:
            return event, passes
    raise AssertionError(f"not done after {max_passes} passes: {event}")


def test_deletes_an_experiment_of_three_trials_in_the_order_the_api_demands(backend, context):
    world = build_experiment(backend, "mnist", 3)

    out = cleanup.handler({"experimentName": "mnist", "keepComponents": False}, context)

    assert out == {
        "experimentName": "mnist",
        "done": True,
        "keepComponents": False,
        "deleted": {"associations": 6, "trialComponents": 4, "trials": 3, "experiment": 1},
        "kept": {"sharedTrialComponents": 0, "keptTrialComponents": 0},
        "passes": 1,
        "deferredPasses": 0,
        "waitSeconds": 0,
        "left": {"trials": 0, "trialComponents": 0},
    }
    assert snapshot(backend) == EMPTY
    # The enforcing API refused nothing: no delete came before its disassociations.
    assert backend.calls["DeleteTrialComponent"] == 4
    # Who holds each component comes from one Search (its Parents), not from listings per trial
    # or per component.
    assert backend.calls["Search"] == 1
    assert backend.calls["ListTrialComponents"] == 0 and backend.calls["ListTrials"] == 1
    assert world["preprocessing"] not in backend.components


def test_a_component_shared_with_another_experiment_survives_and_that_experiment_is_untouched(backend, context):
    mnist = build_experiment(backend, "mnist", 3)
    build_experiment(backend, "other", 2, preprocessing="mnist-preprocessing")
    expected = without(snapshot(backend), "mnist", mnist, keep=["mnist-preprocessing"])

    out = cleanup.handler({"experimentName": "mnist", "keepComponents": False}, context)

    assert out["done"] is True
    assert out["kept"] == {"sharedTrialComponents": 1, "keptTrialComponents": 0}
    assert out["deleted"] == {"associations": 6, "trialComponents": 3, "trials": 3, "experiment": 1}
    # Exactly mnist's own records are gone; the other experiment, the shared component and its
    # associations with the other experiment's trials are all as they were.
    assert snapshot(backend) == expected
    assert ("mnist-preprocessing", "other-trial-1") in expected["associations"]


def test_keep_components_deletes_trials_and_experiment_but_no_component(backend, context):
    world = build_experiment(backend, "mnist", 3)

    out = cleanup.handler({"experimentName": "mnist", "keepComponents": True}, context)

    assert out["done"] is True and out["keepComponents"] is True
    assert out["deleted"] == {"associations": 6, "trialComponents": 0, "trials": 3, "experiment": 1}
    assert out["kept"] == {"sharedTrialComponents": 0, "keptTrialComponents": 4}
    assert snapshot(backend)["components"] == sorted([world["preprocessing"], *world["training"]])
    assert snapshot(backend)["associations"] == []


def test_a_cleanup_cut_by_its_time_budget_resumes_and_finishes(backend):
    build_experiment(backend, "mnist", 6)
    # Each remaining-time check costs 1 s of a budget that starts at 70 s; the margin is 60 s,
    # so a pass stops after about ten checks and returns done=false.
    clock = {"left": 0}

    def remaining() -> int:
        clock["left"] -= 1_000
        return clock["left"]

    context = FakeContext(remaining)
    event = {"experimentName": "mnist", "keepComponents": False}
    outputs: list[dict] = []
    for _ in range(20):
        clock["left"] = cleanup.SAFETY_MARGIN_MS + 10_000
        event = cleanup.handler(event, context)
        outputs.append(event)
        if event["done"]:
            break

    assert len(outputs) > 1 and all(not o["done"] for o in outputs[:-1]), "the budget never cut a pass"
    assert outputs[-1]["done"] is True
    # Counts accumulate across passes and add up to what a single pass would delete.
    assert outputs[-1]["deleted"] == {"associations": 12, "trialComponents": 7, "trials": 6, "experiment": 1}
    counts = [o["deleted"]["associations"] + o["deleted"]["trials"] for o in outputs]
    assert counts == sorted(counts)
    assert snapshot(backend) == EMPTY


def test_a_rerun_after_the_experiment_is_gone_is_done_at_once(backend, context):
    build_experiment(backend, "mnist", 2)
    first = cleanup.handler({"experimentName": "mnist", "keepComponents": False}, context)
    again = cleanup.handler(first, context)
    assert again["done"] is True
    assert again["deleted"] == first["deleted"]  # nothing more to do, nothing counted twice


def test_a_rerun_after_a_crash_mid_way_finishes_the_job(backend, context):
    """A pass that died after deleting some records (no output): the rerun from scratch finishes."""
    world = build_experiment(backend, "mnist", 3)
    # What a crashed pass left: trial 1 fully released and deleted, trial 2 half released.
    for component in (world["preprocessing"], world["training"][0]):
        backend.call("DisassociateTrialComponent", {"TrialComponentName": component, "TrialName": world["trials"][0]})
    backend.call("DeleteTrialComponent", {"TrialComponentName": world["training"][0]})
    backend.call("DeleteTrial", {"TrialName": world["trials"][0]})
    backend.call(
        "DisassociateTrialComponent", {"TrialComponentName": world["training"][1], "TrialName": world["trials"][1]}
    )
    backend.call("DeleteTrialComponent", {"TrialComponentName": world["training"][1]})

    out = cleanup.handler({"experimentName": "mnist", "keepComponents": False}, context)

    assert out["done"] is True
    assert snapshot(backend) == EMPTY


def test_a_storm_of_throttling_still_ends_with_nothing_left_and_nothing_else_touched(backend, context, quick_retries):
    mnist = build_experiment(backend, "mnist", 3)
    build_experiment(backend, "other", 2, preprocessing="mnist-preprocessing")
    build_experiment(backend, "mnist-2", 2)  # a name that starts like it
    expected = without(snapshot(backend), "mnist", mnist, keep=["mnist-preprocessing"])
    backend.inject_throttling(0.3, seed=7)

    out, passes = run_until_done({"experimentName": "mnist", "keepComponents": False}, context)

    backend.inject_throttling(0.0)
    assert sum(backend.throttled.values()) > 10, "the storm did not happen"
    assert out["deleted"] == {"associations": 6, "trialComponents": 3, "trials": 3, "experiment": 1}
    assert out["kept"]["sharedTrialComponents"] == 1
    assert snapshot(backend) == expected


def test_throttling_beyond_the_client_retries_ends_the_pass_undone_instead_of_failing(backend, context, quick_retries):
    build_experiment(backend, "mnist", 3)
    backend.inject_throttling(0.97, seed=3)
    out = cleanup.handler({"experimentName": "mnist", "keepComponents": False}, context)
    assert out["done"] is False
    backend.inject_throttling(0.0)
    out, _ = run_until_done(out, context)
    assert out["deleted"] == {"associations": 6, "trialComponents": 4, "trials": 3, "experiment": 1}
    assert snapshot(backend) == EMPTY


def test_a_pass_throttled_between_release_and_decision_leaves_no_orphan(backend, context, quick_retries):
    world = build_experiment(backend, "mnist", 3)
    ours = {world["preprocessing"], *world["training"]}
    # Only the "who else holds it?" listing is throttled, far beyond the client's retries.
    backend.inject_throttling(0.9, seed=5, actions=["ListTrials"])
    event: dict = {"experimentName": "mnist", "keepComponents": False}
    for _ in range(6):
        event = cleanup.handler(event, context)
        orphans = [
            c
            for c in ours
            if c in backend.components
            and not backend.trials_holding(c)
            and any(t in backend.trials for t in world["trials"])
        ]
        assert not orphans, f"released but never decided: {orphans}"
    assert backend.throttled["ListTrials"] > 0
    backend.inject_throttling(0.0)
    event, _ = run_until_done(event, context)
    assert snapshot(backend) == EMPTY
    assert event["deleted"]["associations"] == 6


@pytest.mark.parametrize(
    "event, field",
    [
        ({}, "experimentName"),
        ({"experimentName": "bad_name"}, "experimentName"),
        ({"experimentName": "mnist", "keepComponents": "yes"}, "keepComponents"),
    ],
)
def test_a_bad_cleanup_request_names_the_field(aws, context, event, field):
    with pytest.raises(Exception, match=field):
        cleanup.handler(event, context)


def test_the_documented_progress_field_carries_the_counts_and_empty_progress_means_none(backend):
    build_experiment(backend, "mnist", 3)
    budget = {"checks": 0}

    def remaining() -> int:  # the first pass stops after a few checks; later passes have time
        budget["checks"] += 1
        return 0 if budget["checks"] == 10 else 300_000

    context = FakeContext(remaining)
    empty: dict | None
    for empty in (None, {}):
        assert cleanup.parse_request({"experimentName": "mnist", "progress": empty})[2] == cleanup.CleanupCounts()
    first = cleanup.handler({"experimentName": "mnist", "progress": None}, context)
    assert first["done"] is False and first["deleted"]["associations"] > 0

    final = cleanup.handler({"experimentName": "mnist", "keepComponents": False, "progress": first}, context)

    assert final["done"] is True
    assert final["deleted"] == {"associations": 6, "trialComponents": 4, "trials": 3, "experiment": 1}
    assert snapshot(backend) == EMPTY


@pytest.mark.parametrize("trials", [10, 30, 120])
def test_at_most_two_and_a_half_requests_per_deleted_record(backend, context, trials):
    build_experiment(backend, "mnist", trials)
    backend.calls.clear()
    out, passes = run_until_done({"experimentName": "mnist"}, context)
    deleted = out["deleted"]["experiment"] + out["deleted"]["trials"] + out["deleted"]["trialComponents"]
    assert passes == 1 and deleted == 1 + trials + (trials + 1)
    assert sum(backend.calls.values()) <= 2.5 * deleted, backend.calls
    # No listing per trial or per component, whatever the size.
    assert backend.calls["ListTrialComponents"] == 0 and backend.calls["ListTrials"] <= 1 + trials // 100


def test_passes_cut_short_do_not_retry_many_components_already_deleted(backend):
    build_experiment(backend, "mnist", 6)
    clock = {"left": 0}

    def remaining() -> int:
        clock["left"] -= 1_000
        return clock["left"]

    event: dict = {"experimentName": "mnist", "done": False}
    passes = 0
    while not event["done"] and passes < 40:
        passes += 1
        clock["left"] = cleanup.SAFETY_MARGIN_MS + 12_000
        event = cleanup.handler(event, FakeContext(remaining))
    assert passes > 2 and snapshot(backend) == EMPTY
    # 7 components, each deleted once and tried at most once more (a pass that stops undone keeps
    # only what may still need it in the ledger).
    assert backend.calls["DeleteTrialComponent"] <= 7 + 1, (backend.calls, passes)
    assert event["passes"] == passes and event["deferredPasses"] == 0 and event["waitSeconds"] == 0
