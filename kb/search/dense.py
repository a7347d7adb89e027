"""The dense index: every vector of every entry in FAISS, answering with each entry's best vector.

Exact inner product (a flat scan) while the index is small; HNSW past HNSW_MIN
vectors, where a flat scan stops being cheap. Measured here (384 dimensions, one
query): a flat scan of 40k vectors takes 5.4 ms on one thread (8 ms on two: the
threads cost more than they save for one query), HNSW (M=24, efSearch=96) 1.0 ms,
so the switch comes at 20k vectors (~2.7 ms flat), well inside a 5 ms hybrid
query. HNSW cannot delete, so replaced vectors are tombstoned and skipped, and the
graph is rebuilt when a quarter is dead.

Scores are cosines discounted for hubness. A generic phrasing (我想问一下, 怎么办呀) sits
close to every other text and wins vague messages it has nothing to do with; each
vector's score is its cosine minus HUB_WEIGHT times its hubness, the mean cosine of its
HUB_K nearest vectors of other entries (local scaling, as CSLS does for cross-lingual
retrieval). The hubness rides in the index as one more coordinate, against which a query
puts -HUB_WEIGHT, so exact and HNSW search rank by the discounted score with no refetch.
The coordinate holds HUB_SCALE x hubness (the query's weight grows to match): HNSW links
stored vectors by their inner product with each other, and a full-size coordinate (about
0.85 for every text) skewed those links: on bq_dev's vectors HNSW's first entry agreed
with an exact scan for 96.2% of the queries, 99.8% at a tenth.
On benchmarks/transfer_eval.py, hybrid hit@1 (weight 0, 0.3, 0.5): seed cut to one
phrasing 0.768, 0.775, 0.781; to two 0.812, 0.820, 0.819; as a FAQ 0.711, 0.728, 0.729;
bq_dev 0.181, 0.193, 0.191; the seed corpus 0.976, -, 0.972. The confidence model still
weighs the plain cosine (DenseHit.cosine): its features are cosine levels and margins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import faiss
import numpy as np

HNSW_MIN = 20_000
# Links per vector: on bq_dev's real vectors (HNSW forced, 575 questions) M = 24 finds the
# exact scan's first entry as often as 32 (99.8%; recall@10 99.5% against 99.8%; 16: 98.3%),
# in 1.06 ms instead of 1.34 at 40k vectors, and builds a fifth faster.
HNSW_M = 24
# Neighbours fetched per entry wanted; more only when an entry's phrasings crowd them. HNSW
# searches at least as wide as it fetches: 12 per entry (360 for 30) cost 1.24 ms at 40k
# random vectors, 4 per entry 0.79 ms.
FETCH_PER_HIT = 4
HUB_WEIGHT = 0.5
HUB_K = 10
HUB_SCALE = 0.1
# Hubness is measured against at most this many vectors (a fixed sample past it, with HUB_K
# scaled down to match): 40k vectors against 4096 take 2.3 s, against all 40k ten times that.
HUB_REFERENCE = 4096
# FAISS computes inner products 8 floats at a time: the hubness coordinate plus zeros pad each
# vector to a multiple of 8 (385 -> 392 for e5-small), 1.58 -> 1.28 ms per HNSW search at 40k.
LANES = 8


faiss.omp_set_num_threads(1)  # one query per request thread; see the module docstring


@dataclass
class DenseHit:
    entry_id: str
    score: float
    text_index: int  # which of the entry's texts matched best
    cosine: float = 0.0  # the plain cosine; `score` is discounted for hubness


class DenseIndex:
    def __init__(self, dim: int, hnsw_min: int = HNSW_MIN, hub_weight: float = HUB_WEIGHT):
        self.dim, self.hnsw_min, self.hub_weight = dim, hnsw_min, hub_weight
        self.width = -(-(dim + 1) // LANES) * LANES  # the vector, its hubness, zeros
        self._owner: list[tuple[str, int]] = []  # vector id -> (entry, text index)
        self._ids_of: dict[str, list[int]] = {}
        self._dead: set[int] = set()
        self._hub = np.zeros(0, dtype=np.float32)  # vector id -> hubness
        # what hubness is measured against: vectors, their entries, neighbours to average
        self._reference = np.zeros((0, dim), dtype=np.float32)
        self._reference_owner = np.zeros(0, dtype=np.int64)
        self._reference_of: dict[str, int] = {}
        self._reference_k = HUB_K
        self._measured_at = 0  # live vectors when the reference was taken
        self._index = self._new_index(0)

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(self._index, faiss.IndexHNSWFlat) else "exact"

    def __len__(self) -> int:
        return len(self._owner) - len(self._dead)

    def _new_index(self, size: int):
        dim = self.width
        if size >= self.hnsw_min:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 40  # half the build time of 80; recall checked in tests
            index.hnsw.efSearch = 96
            return index
        return faiss.IndexFlatIP(dim)

    def build(self, vectors_by_entry: dict[str, np.ndarray]) -> None:
        """Replace everything at once (faster than entry by entry for HNSW)."""
        self._owner, self._ids_of, self._dead = [], {}, set()
        parts = [self._append(e, v) for e, v in vectors_by_entry.items()]
        self._index = self._new_index(len(self._owner))
        matrix = np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)
        owners = [e for e, _ in self._owner]
        self._take_reference(matrix, owners)
        self._hub = self._hubness(matrix, owners)
        if parts:
            faiss.omp_set_num_threads(os.cpu_count() or 1)  # building is batch work: all cores
            try:
                self._index.add(self._with_hub(matrix, self._hub))
            finally:
                faiss.omp_set_num_threads(1)

    def _take_reference(self, matrix: np.ndarray, owners: list[str]) -> None:
        """Every vector, or a fixed sample of HUB_REFERENCE, to measure hubness against."""
        pick = np.arange(len(matrix))
        if len(matrix) > HUB_REFERENCE:
            pick = np.sort(np.random.default_rng(len(matrix)).choice(
                len(matrix), HUB_REFERENCE, replace=False))  # fmt: skip
        self._reference = matrix[pick]
        self._reference_of = {}  # entry -> a number, for comparing owners fast
        self._reference_owner = np.array(
            [self._reference_of.setdefault(owners[i], len(self._reference_of)) for i in pick],
            dtype=np.int64)  # fmt: skip
        self._reference_k = max(1, round(HUB_K * len(pick) / max(1, len(matrix))))
        self._measured_at = len(matrix)

    def _hubness(self, vectors: np.ndarray, owners: list[str]) -> np.ndarray:
        """Each vector's mean cosine to its nearest reference vectors of other entries."""
        out = np.zeros(len(vectors), dtype=np.float32)
        k = min(self._reference_k, len(self._reference))
        codes = np.array([self._reference_of.get(o, -1) for o in owners], dtype=np.int64)
        for start in range(0, len(vectors) if k else 0, 1024):  # 1024 x 4096 floats at a time
            block = slice(start, start + 1024)
            sims = vectors[block] @ self._reference.T
            sims[codes[block, None] == self._reference_owner[None, :]] = -np.inf
            near = -np.partition(-sims, k - 1, axis=1)[:, :k]
            found = np.isfinite(near)  # fewer than k other vectors: the mean of those there are
            total = np.where(found, near, 0.0).sum(axis=1)
            out[block] = np.where(found.any(axis=1), total / np.maximum(found.sum(axis=1), 1), 0)
        return out

    def _with_hub(self, vectors: np.ndarray, hub: np.ndarray) -> np.ndarray:
        out = np.zeros((len(vectors), self.width), dtype=np.float32)
        out[:, : self.dim], out[:, self.dim] = vectors, HUB_SCALE * hub
        return out

    def _append(self, entry_id: str, vectors: np.ndarray) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        start = len(self._owner)
        self._owner += [(entry_id, i) for i in range(len(vectors))]
        self._ids_of[entry_id] = list(range(start, start + len(vectors)))
        return vectors

    def set_entry(self, entry_id: str, vectors: np.ndarray) -> None:
        """Add or replace one entry's vectors; other entries are not touched or re-encoded."""
        self.remove_entry(entry_id)
        vectors = self._append(entry_id, vectors)
        hub = self._hubness(vectors, [entry_id] * len(vectors))
        self._hub = np.concatenate([self._hub, hub])
        self._index.add(self._with_hub(vectors, hub))
        switch = self.kind == "exact" and len(self._owner) >= self.hnsw_min
        grown = len(self) > 2 * self._measured_at  # past its reference: measure hubness anew
        if switch or grown:
            self._compact()

    def remove_entry(self, entry_id: str) -> None:
        self._dead.update(self._ids_of.pop(entry_id, []))
        if self._dead and len(self._dead) * 4 > len(self._owner):
            self._compact()

    def __getstate__(self) -> dict:
        """Everything but the FAISS index, which `write` saves beside the pickle: FAISS's own
        format, read back without a copy of the vectors through Python."""
        return {k: v for k, v in self.__dict__.items() if k != "_index"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._index = self._new_index(0)  # until `read` puts the saved one back

    def write(self, path: str) -> None:
        faiss.write_index(self._index, path)

    def read(self, path: str) -> None:
        """Take the FAISS index `write` saved for this state; ValueError if it does not fit."""
        index = faiss.read_index(path)
        if index.ntotal != len(self._owner) or index.d != self.width:
            raise ValueError(f"{path}: {index.ntotal} vectors of {index.d} dimensions, "
                             f"expected {len(self._owner)} of {self.width}")  # fmt: skip
        self._index = index

    def _compact(self) -> None:
        """Rebuild from live vectors only: drops tombstones, switches exact <-> HNSW by size,
        measures hubness anew."""
        matrix = self._index.reconstruct_n(0, self._index.ntotal)[:, : self.dim]
        keep: dict[str, np.ndarray] = {}
        for entry_id, ids in self._ids_of.items():
            keep[entry_id] = matrix[ids]
        self.build(keep)

    def search(
        self,
        query: np.ndarray,
        k: int,
        allowed: set[str] | None = None,
        skip: tuple[str, int | None] | None = None,
    ) -> list[DenseHit]:
        """The k entries whose best vector is closest to the query (cosine, vectors normalised,
        discounted for hubness: see the module docstring).

        `skip` is (entry, text index) to leave one text out, or (entry, None) to leave the
        whole entry out: the probes that calibrate the engine.
        """
        if not self._owner or k <= 0:
            return []
        row = np.zeros((1, self.width), dtype=np.float32)
        row[0, : self.dim], row[0, self.dim] = query, -self.hub_weight / HUB_SCALE
        skipped = len(self._ids_of.get(skip[0], ())) if skip else 0
        fetch = min(len(self._owner), max(64, k * FETCH_PER_HIT) + len(self._dead) + skipped)
        if allowed is not None:
            fetch = len(self._owner)  # a topic filter may exclude most neighbours: scan all
        while True:
            best = self._best(*self._index.search(row, fetch), k, allowed, skip)
            if len(best) == k or fetch >= len(self._owner):
                return list(best.values())
            # an entry's phrasings crowd the neighbours: look further
            fetch = min(len(self._owner), fetch * 3)

    def _best(self, scores, ids, k, allowed, skip) -> dict[str, DenseHit]:
        """Each entry's best vector among the neighbours found, the first k entries."""
        best: dict[str, DenseHit] = {}
        for score, vid in zip(scores[0], ids[0], strict=True):
            if vid < 0 or vid in self._dead:
                continue
            entry_id, text_index = self._owner[vid]
            if allowed is not None and entry_id not in allowed:
                continue
            if skip and entry_id == skip[0] and skip[1] in (None, text_index):
                continue
            if entry_id not in best:
                cosine = float(score) + self.hub_weight * float(self._hub[vid])
                best[entry_id] = DenseHit(entry_id, float(score), text_index, cosine)
                if len(best) == k:
                    break
        return best
