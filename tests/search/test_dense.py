"""The FAISS index against numpy brute force (cosine discounted for hubness), exact and HNSW,
with replacements."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from kb.search import dense
from kb.search.dense import HUB_K, HUB_WEIGHT, DenseIndex


def _unit(rng, n, d):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _hubness(vectors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each vector's mean cosine to its HUB_K nearest vectors of other entries."""
    owners = np.array([e for e, v in vectors.items() for _ in v])
    matrix = np.vstack(list(vectors.values()))
    sims = matrix @ matrix.T
    sims[owners[:, None] == owners[None, :]] = -np.inf
    hub = np.sort(sims, axis=1)[:, ::-1][:, :HUB_K].mean(axis=1)
    return {e: hub[owners == e] for e in vectors}


def _brute(vectors: dict[str, np.ndarray], q: np.ndarray, k: int) -> list[tuple[str, float]]:
    hub = _hubness(vectors)
    best = {e: float((v @ q - HUB_WEIGHT * hub[e]).max()) for e, v in vectors.items()}
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
    assert top.cosine > 0.999
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
    with pytest.raises(ValueError, match="1 vectors of 40 dimensions, expected 1502"):
        copy.read(str(tmp_path / "small.faiss"))


def _generic_and_specific(rng):
    """A generic vector amid a crowd of 40 entries, a specific one far from all, and a query
    a little closer to the generic one than to the specific one, closer to both than to
    any of the crowd."""
    centre, specific = np.linalg.qr(rng.standard_normal((32, 2)))[0].T  # orthonormal
    noise = rng.standard_normal((40, 32))
    noise -= np.outer(noise @ specific, specific) + np.outer(noise @ centre, centre)
    noise = 0.4 * noise / np.linalg.norm(noise, axis=1, keepdims=True)
    vectors = {f"crowd{i}": (centre + n)[None, :] / np.linalg.norm(centre + n)
               for i, n in enumerate(noise)}  # fmt: skip
    vectors["generic"] = centre[None, :]
    vectors["specific"] = specific[None, :]
    q = 0.62 * centre + 0.6 * specific
    return vectors, q / np.linalg.norm(q)


def test_a_generic_phrasing_near_everything_loses_to_a_specific_one_at_a_similar_cosine():
    vectors, q = _generic_and_specific(np.random.default_rng(5))
    plain = DenseIndex(32, hub_weight=0.0)
    plain.build(vectors)
    assert plain.search(q, 1)[0].entry_id == "generic"  # by cosine alone it wins
    index = DenseIndex(32)
    index.build(vectors)
    hits = index.search(q, 3)
    assert hits[0].entry_id == "specific"
    assert [h.entry_id for h in hits] == [e for e, _ in _brute(vectors, q, 3)]
    generic = next(h for h in index.search(q, 10) if h.entry_id == "generic")
    assert generic.cosine == pytest.approx(float(q @ vectors["generic"][0]), abs=1e-5)
    assert generic.cosine - generic.score > 0.3  # discounted by half a hubness near 0.9


def test_an_index_grown_entry_by_entry_measures_hubness_as_it_grows():
    """Built empty (a new knowledge base), then filled by edits: the hubness is measured
    anew whenever the index has doubled, so it ends as a built index would rank."""
    vectors, q = _generic_and_specific(np.random.default_rng(5))
    index = DenseIndex(32)
    index.build({})
    for entry_id, v in vectors.items():
        index.set_entry(entry_id, v)
    assert index.search(q, 1)[0].entry_id == "specific"
    index.set_entry("crowd3", vectors["crowd3"])  # an edit keeps the measure
    assert index.search(q, 1)[0].entry_id == "specific"


def test_past_the_reference_size_hubness_is_measured_on_a_sample(monkeypatch):
    """A fixed sample of HUB_REFERENCE vectors (HUB_K scaled to it) ranks the vectors' hubness
    nearly as all of them do."""
    rng = np.random.default_rng(6)
    centre = _unit(rng, 1, 32)[0]
    vectors = {f"e{i}": _unit(rng, 1, 32) * (0.2 + i / 1500) + centre for i in range(1500)}
    vectors = {e: v / np.linalg.norm(v) for e, v in vectors.items()}
    full = DenseIndex(32)
    full.build(vectors)
    monkeypatch.setattr(dense, "HUB_REFERENCE", 300)
    sampled = DenseIndex(32)
    sampled.build(vectors)
    assert len(sampled._reference) == 300 and sampled._reference_k == 2
    order = np.argsort(np.argsort(full._hub)), np.argsort(np.argsort(sampled._hub))
    assert np.corrcoef(*order)[0, 1] > 0.9  # Spearman's rank correlation
