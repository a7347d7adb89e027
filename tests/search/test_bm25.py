"""BM25 against a hand computation (as bm25s checks itself against rank-bm25)."""

from __future__ import annotations

import math

import pytest

from kb.search.bm25 import BM25Index


def _lucene(tf, df, n, dl, avgdl, k1=1.2, b=0.75):
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))


def test_scores_match_the_formula():
    index = BM25Index()
    docs = {"a": ["退货", "运费", "退货"], "b": ["运费", "险"], "c": ["物流"]}
    for entry_id, tokens in docs.items():
        index.set_entry(entry_id, tokens)
    ids, scores = index.scores(["退货", "运费"])
    avgdl = 6 / 3
    expected = {
        "a": _lucene(2, 1, 3, 3, avgdl) + _lucene(1, 2, 3, 3, avgdl),
        "b": _lucene(1, 2, 3, 2, avgdl),
        "c": 0.0,
    }
    assert dict(zip(ids, scores.tolist(), strict=True)) == pytest.approx(expected, rel=1e-5)


def test_search_ranks_filters_and_updates():
    index = BM25Index()
    index.set_entry("a", ["退货", "运费"])
    index.set_entry("b", ["物流"])
    assert [i for i, _ in index.search(["物流"], 5)] == ["b"]
    assert index.search(["物流"], 5, allowed={"a"}) == []
    index.set_entry("a", ["物流", "物流"])
    assert [i for i, _ in index.search(["物流"], 5)] == ["a", "b"]
    index.remove_entry("a")
    assert [i for i, _ in index.search(["物流"], 5)] == ["b"]
    assert index.search(["不在词表"], 5) == []
