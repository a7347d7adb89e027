"""The load check in its short form: mixed traffic, no errors, no acknowledged write lost."""

from __future__ import annotations

import pytest
from load_bench import fresh_db, run


@pytest.mark.slow
def test_mixed_traffic_loses_nothing(tmp_path):
    db, key = fresh_db(tmp_path)
    report = run(db, key, seconds=5, clients=6, embedder="none")
    assert dict(report.errors) == {}
    assert len(report.outcomes) > 20 and len(report.edits) > 5
    assert report.lost_outcomes == 0 and report.lost_edits == 0
