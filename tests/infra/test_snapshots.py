"""Normalised snapshots of every template; state machine definitions read as states."""

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from tests.infra.templates import normalised


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stack", ["Data", "Pipeline"])
def test_template_matches_snapshot(synthesized, snapshot_json, stack):
    template = synthesized.templates[f"{synthesized.config.stack_prefix}{stack}"]
    assert normalised(template) == snapshot_json
