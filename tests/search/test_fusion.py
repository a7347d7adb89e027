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
    scores = weighted_sum({"bm25": [("a", 10.0), ("b", 5.0)], "dense": [("b", 0.9), ("c", 0.45)]},
                          {"bm25": 1.0, "dense": 2.0}, depth=3)  # fmt: skip
    assert scores == pytest.approx({"a": 1.0, "b": 0.5 + 2.0, "c": 1.0})


def test_weighted_sum_scales_a_cut_list_from_its_last_score():
    # a list as deep as the cut: its last score is the background, worth nothing
    dense = [("a", 0.95), ("b", 0.85), ("c", 0.80)]
    scores = weighted_sum({"dense": dense, "bm25": [("b", 3.0)]}, {"dense": 1.0, "bm25": 0.5},
                          depth=3)  # fmt: skip
    assert scores == pytest.approx({"a": 1.0, "b": 1 / 3 + 0.5})


def test_weighted_sum_keeps_a_lone_match():
    assert weighted_sum({"bm25": [("a", 2.0)]}, {"bm25": 1.0}, depth=30) == {"a": 1.0}
