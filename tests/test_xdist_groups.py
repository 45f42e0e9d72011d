"""The test command's `--dist loadgroup` really groups: the e2e modules share one deployed local cloud per group.

pytest-xdist 3.8.0 marks a group by renaming the item's node id; pytest 9.2 stopped reading that name
(pytest-dev/pytest-xdist#1386), and then every test is scheduled on its own, silently: the modules'
shared local clouds are deployed once per worker and per test order instead of once.
"""

import os

import pytest

pytestmark = pytest.mark.xdist_group("group-probe")


def test_a_grouped_test_carries_its_group_to_the_scheduler(request):
    # On a worker, xdist sets option.loadgroup from the controller's --dist (its own dist is "no").
    if "PYTEST_XDIST_WORKER" not in os.environ or not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only meaningful under the test command's `pytest -n 2 --dist loadgroup`")
    assert request.node.nodeid.endswith("@group-probe"), request.node.nodeid
