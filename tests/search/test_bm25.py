"""BM25 against a hand computation and against bm25s, through edits (bm25s is the reference)."""

from __future__ import annotations

import math
import random

import bm25s
import numpy as np
import pytest

from kb.search.bm25 import BM25Index


def _lucene(tf, df, n, dl, avgdl, k1=1.2, b=0.75):
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))


def _scores(index: BM25Index, tokens: list[str]) -> dict[str, float]:
    return dict(index.search(tokens, 10**6))


def test_scores_match_the_formula():
    index = BM25Index()
    index.build({"a": ["退货", "运费", "退货"], "b": ["运费", "险"], "c": ["物流"]})
    avgdl = 6 / 3
    expected = {
        "a": _lucene(2, 1, 3, 3, avgdl) + _lucene(1, 2, 3, 3, avgdl),
        "b": _lucene(1, 2, 3, 2, avgdl),
    }
    assert _scores(index, ["退货", "运费"]) == pytest.approx(expected, rel=1e-5)


def test_a_few_documents_score_as_the_whole_collection_does():
    index = BM25Index()
    index.build({"a": ["退货", "运费", "退货"], "b": ["运费", "险"], "c": ["物流"]})
    index.set_entry("d", ["运费", "险", "理赔"])  # the overlay counts too
    whole = _scores(index, ["退货", "运费", "理赔"])
    few = index.score_docs(["d", "a", "c", "missing"], ["退货", "运费", "理赔"])
    assert few == pytest.approx([whole["d"], whole["a"], 0.0, 0.0], rel=1e-5)


def _reference(docs: dict[str, list[str]], tokens: list[str]) -> dict[str, float]:
    ids = list(docs)
    model = bm25s.BM25(k1=1.2, b=0.75)
    model.index([docs[i] for i in ids], show_progress=False)
    known = [t for t in dict.fromkeys(tokens) if t in model.vocab_dict]
    scores = model.get_scores(known) if known else np.zeros(len(ids))
    return {i: float(s) for i, s in zip(ids, scores, strict=True) if s > 0}


def test_edits_in_place_score_like_a_fresh_bm25s_index():
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(60)]
    docs = {f"e{i}": rng.choices(vocab, k=rng.randint(3, 30)) for i in range(300)}
    index = BM25Index()
    index.build(docs)
    for step in range(400):  # enough replacements to trigger compactions on the way
        entry_id = f"e{rng.randrange(330)}"
        if step % 7 == 0 and entry_id in docs:
            del docs[entry_id]
            index.remove_entry(entry_id)
        else:
            docs[entry_id] = rng.choices(vocab, k=rng.randint(3, 30))
            index.set_entry(entry_id, docs[entry_id])
        if step % 50 == 0:
            query = rng.sample(vocab, 4)
            assert _scores(index, query) == pytest.approx(_reference(docs, query), rel=1e-4)
    query = rng.sample(vocab, 5)
    assert len(index) == len(docs)
    assert _scores(index, query) == pytest.approx(_reference(docs, query), rel=1e-4)


def test_search_ranks_filters_and_updates():
    index = BM25Index()
    index.build({"a": ["退货", "运费"], "b": ["物流"]})
    assert [i for i, _ in index.search(["物流"], 5)] == ["b"]
    assert index.search(["物流"], 5, allowed={"a"}) == []
    index.set_entry("a", ["物流", "物流"])
    assert [i for i, _ in index.search(["物流"], 5)] == ["a", "b"]
    index.remove_entry("a")
    assert [i for i, _ in index.search(["物流"], 5)] == ["b"]
    assert index.search(["不在词表"], 5) == []
