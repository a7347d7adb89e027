"""The FAISS index against numpy brute force, exact and HNSW, with replacements."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from kb.search.dense import DenseIndex


def _unit(rng, n, d):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _brute(vectors: dict[str, np.ndarray], q: np.ndarray, k: int) -> list[tuple[str, float]]:
    best = {e: float((v @ q).max()) for e, v in vectors.items()}
    return sorted(best.items(), key=lambda kv: -kv[1])[:k]


def test_exact_matches_brute_force_with_best_vector_per_entry():
    rng = np.random.default_rng(1)
    vectors = {f"e{i}": _unit(rng, 3, 32) for i in range(200)}
    index = DenseIndex(32)
    index.build(vectors)
    assert index.kind == "exact"
    for q in _unit(rng, 10, 32):
        got = [(h.entry_id, h.score) for h in index.search(q, 5)]
        want = _brute(vectors, q, 5)
        assert [e for e, _ in got] == [e for e, _ in want]
        assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)


def test_entries_whose_phrasings_crowd_the_neighbours_do_not_shorten_the_list():
    """A few entries with many vectors near the query fill the first neighbours fetched;
    the search looks further until it has k distinct entries, in brute force's order."""
    rng = np.random.default_rng(4)
    q = _unit(rng, 1, 32)[0]
    near = {f"crowd{i}": _unit(rng, 1, 32) * 0.05 + q for i in range(3)}
    vectors = {e: np.repeat(v / np.linalg.norm(v), 80, axis=0) for e, v in near.items()}
    vectors |= {f"e{i}": _unit(rng, 1, 32) for i in range(500)}
    index = DenseIndex(32)
    index.build(vectors)
    got = [h.entry_id for h in index.search(q, 30)]
    assert got == [e for e, _ in _brute(vectors, q, 30)]


def test_replacing_an_entry_and_the_text_index():
    rng = np.random.default_rng(2)
    vectors = {f"e{i}": _unit(rng, 2, 16) for i in range(50)}
    index = DenseIndex(16)
    index.build(vectors)
    target = _unit(rng, 1, 16)
    index.set_entry("e7", np.vstack([_unit(rng, 1, 16), target]))
    top = index.search(target[0], 1)[0]
    assert (top.entry_id, top.text_index) == ("e7", 1)
    assert top.score > 0.999
    index.remove_entry("e7")
    assert all(h.entry_id != "e7" for h in index.search(target[0], 50))
    assert len(index) == 98


def test_hnsw_past_the_threshold_finds_what_brute_force_finds():
    rng = np.random.default_rng(3)
    vectors = {f"e{i}": _unit(rng, 1, 32) for i in range(3000)}
    index = DenseIndex(32, hnsw_min=1000)
    index.build(vectors)
    assert index.kind == "hnsw"
    queries = _unit(rng, 50, 32)
    recall = np.mean([
        index.search(q, 1)[0].entry_id == _brute(vectors, q, 1)[0][0] for q in queries
    ])  # fmt: skip
    assert recall >= 0.95
    index.set_entry("e5", np.vstack([queries[0]]))  # tombstones the old vector
    assert index.search(queries[0], 1)[0].entry_id == "e5"


def test_a_saved_index_answers_as_the_one_it_was_saved_from(tmp_path):
    rng = np.random.default_rng(4)
    index = DenseIndex(32, hnsw_min=1000)
    index.build({f"e{i}": _unit(rng, 1, 32) for i in range(1500)})
    index.set_entry("e3", _unit(rng, 2, 32))  # a tombstone and an added entry survive too
    index.write(str(tmp_path / "dense.faiss"))
    copy = pickle.loads(pickle.dumps(index))
    copy.read(str(tmp_path / "dense.faiss"))
    assert copy.kind == "hnsw" and len(copy) == len(index)
    for q in _unit(rng, 20, 32):
        assert copy.search(q, 5) == index.search(q, 5)
    small = DenseIndex(32)
    small.build({"a": _unit(rng, 1, 32)})
    small.write(str(tmp_path / "small.faiss"))
    with pytest.raises(ValueError, match="1 vectors of 32 dimensions, expected 1502"):
        copy.read(str(tmp_path / "small.faiss"))
