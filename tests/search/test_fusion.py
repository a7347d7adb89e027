"""Fusion against values worked out by hand."""

from __future__ import annotations

import pytest

from kb.search.fusion import rrf, weighted_sum


def test_rrf_by_hand():
    scores = rrf({"bm25": ["a", "b", "c"], "dense": ["b", "a"]}, {"bm25": 1.0, "dense": 0.5}, k=5)
    assert scores["a"] == pytest.approx(1 / 6 + 0.5 / 7)
    assert scores["b"] == pytest.approx(1 / 7 + 0.5 / 6)
    assert scores["c"] == pytest.approx(1 / 8)


def test_weighted_sum_by_hand():
    scores = weighted_sum({"bm25": {"a": 10.0, "b": 5.0}, "dense": {"b": 0.9, "c": 0.45}},
                          {"bm25": 1.0, "dense": 2.0})  # fmt: skip
    assert scores == pytest.approx({"a": 1.0, "b": 0.5 + 2.0, "c": 1.0})
