"""The dense index: every vector of every entry in FAISS, answering with each entry's best vector.

Exact inner product (a flat scan) while the index is small; HNSW past HNSW_MIN
vectors, where a flat scan stops being cheap. Measured here (384 dimensions, one
query): a flat scan of 40k vectors takes 5.4 ms on one thread (8 ms on two: the
threads cost more than they save for one query), HNSW (M=32, efSearch=96) 1.0 ms,
so the switch comes at 20k vectors (~2.7 ms flat), well inside a 5 ms hybrid
query. HNSW cannot delete, so replaced vectors are tombstoned and skipped, and the
graph is rebuilt when a quarter is dead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import faiss
import numpy as np

HNSW_MIN = 20_000
HNSW_M = 32
# Neighbours fetched per entry wanted; more only when an entry's phrasings crowd them. HNSW
# searches at least as wide as it fetches: 12 per entry (360 for 30) cost 1.24 ms at 40k
# random vectors, 4 per entry 0.79 ms.
FETCH_PER_HIT = 4


faiss.omp_set_num_threads(1)  # one query per request thread; see the module docstring


@dataclass
class DenseHit:
    entry_id: str
    score: float
    text_index: int  # which of the entry's texts matched best


class DenseIndex:
    def __init__(self, dim: int, hnsw_min: int = HNSW_MIN):
        self.dim, self.hnsw_min = dim, hnsw_min
        self._owner: list[tuple[str, int]] = []  # vector id -> (entry, text index)
        self._ids_of: dict[str, list[int]] = {}
        self._dead: set[int] = set()
        self._index = self._new_index(0)

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(self._index, faiss.IndexHNSWFlat) else "exact"

    def __len__(self) -> int:
        return len(self._owner) - len(self._dead)

    def _new_index(self, size: int):
        if size >= self.hnsw_min:
            index = faiss.IndexHNSWFlat(self.dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 40  # half the build time of 80; recall checked in tests
            index.hnsw.efSearch = 96
            return index
        return faiss.IndexFlatIP(self.dim)

    def build(self, vectors_by_entry: dict[str, np.ndarray]) -> None:
        """Replace everything at once (faster than entry by entry for HNSW)."""
        self._owner, self._ids_of, self._dead = [], {}, set()
        parts = [self._append(e, v) for e, v in vectors_by_entry.items()]
        self._index = self._new_index(len(self._owner))
        if parts:
            faiss.omp_set_num_threads(os.cpu_count() or 1)  # building is batch work: all cores
            try:
                self._index.add(np.ascontiguousarray(np.concatenate(parts)))
            finally:
                faiss.omp_set_num_threads(1)

    def _append(self, entry_id: str, vectors: np.ndarray) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        start = len(self._owner)
        self._owner += [(entry_id, i) for i in range(len(vectors))]
        self._ids_of[entry_id] = list(range(start, start + len(vectors)))
        return vectors

    def set_entry(self, entry_id: str, vectors: np.ndarray) -> None:
        """Add or replace one entry's vectors; other entries are not touched or re-encoded."""
        self.remove_entry(entry_id)
        self._index.add(self._append(entry_id, vectors))
        if self.kind == "exact" and len(self._owner) >= self.hnsw_min:
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
        if index.ntotal != len(self._owner) or index.d != self.dim:
            raise ValueError(f"{path}: {index.ntotal} vectors of {index.d} dimensions, "
                             f"expected {len(self._owner)} of {self.dim}")  # fmt: skip
        self._index = index

    def _compact(self) -> None:
        """Rebuild from live vectors only: drops tombstones, switches exact <-> HNSW by size."""
        matrix = self._index.reconstruct_n(0, self._index.ntotal)
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
        """The k entries whose best vector is closest to the query (cosine, vectors normalised).

        `skip` is (entry, text index) to leave one text out, or (entry, None) to leave the
        whole entry out: the probes that calibrate the engine.
        """
        if not self._owner or k <= 0:
            return []
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        skipped = len(self._ids_of.get(skip[0], ())) if skip else 0
        fetch = min(len(self._owner), max(64, k * FETCH_PER_HIT) + len(self._dead) + skipped)
        if allowed is not None:
            fetch = len(self._owner)  # a topic filter may exclude most neighbours: scan all
        while True:
            best = self._best(*self._index.search(query, fetch), k, allowed, skip)
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
                best[entry_id] = DenseHit(entry_id, float(score), text_index)
                if len(best) == k:
                    break
        return best
