"""The lexical retriever: Okapi BM25 (Lucene's variant, as bm25s computes it) that edits in place.

bm25s builds its score matrix in one pass and cannot add or replace a document:
an edit meant re-indexing everything (0.8 s at 10k entries, 12 s at 100k). Here
the postings are a term-sorted array built in one numpy pass, plus a small
overlay for documents saved since; a replaced document is masked out, and the
arrays are rebuilt once the overlay holds a tenth of the index. Scores are
checked against bm25s in tests/search/test_bm25.py.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

import numpy as np

from kb.search.packed import packed

COMPACT_SHARE = 0.10  # rebuild the base arrays when a tenth of the documents are in the overlay


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self._slot: dict[str, int] = {}  # entry id -> slot
        self._ids: list[str | None] = []  # slot -> entry id, None once replaced or removed
        # slot -> its term counts (to undo df on removal); plain dicts, not Counters: a saved
        # index (kb/search/index_cache.py) loads them at C speed, Counters one by one in Python
        self._terms: dict[int, dict[str, int]] = {}
        self._length = np.zeros(0, dtype=np.float32)
        self._alive = np.zeros(0, dtype=np.float32)
        self._total = 0.0
        self._df: Counter = Counter()
        # base postings: term -> (start, end) into _post_slot / _post_tf
        self._span: dict[str, tuple[int, int]] = {}
        self._post_slot = np.zeros(0, dtype=np.int32)
        self._post_tf = np.zeros(0, dtype=np.float32)
        self._overlay: dict[str, list[tuple[int, int]]] = {}
        self._overlay_docs = 0
        # each base posting's weight for the current lengths and live set (_base_weights)
        self._weights: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._slot)

    def __getstate__(self) -> dict:
        """Each document's term counts pickled apart (kb/search/packed.py): a restart reads
        only those of the documents an edit or a re-scoring touches."""
        return self.__dict__ | {"_terms": packed(self._terms), "_weights": None}

    def build(self, docs: dict[str, list[str]]) -> None:
        """Index many documents at once (one vectorised pass)."""
        self.__init__(self.k1, self.b)
        for entry_id, tokens in docs.items():
            self._add(entry_id, tokens, overlay=False)
        self._rebuild_base()

    def set_entry(self, entry_id: str, tokens: list[str]) -> None:
        """Add or replace one document; costs its own tokens, not the index's size."""
        self.remove_entry(entry_id)
        self._add(entry_id, tokens, overlay=True)
        if self._overlay_docs > max(50, COMPACT_SHARE * len(self._slot)):
            self._rebuild_base()

    def remove_entry(self, entry_id: str) -> None:
        slot = self._slot.pop(entry_id, None)
        if slot is None:
            return
        self._weights = None
        self._ids[slot] = None
        self._alive[slot] = 0.0
        self._total -= float(self._length[slot])
        self._df.subtract(self._terms.pop(slot).keys())

    def _add(self, entry_id: str, tokens: list[str], overlay: bool) -> None:
        slot = len(self._ids)
        counts = Counter(tokens)
        self._weights = None
        self._ids.append(entry_id)
        self._slot[entry_id] = slot
        self._terms[slot] = dict(counts)
        if slot >= len(self._length):
            grow = max(1024, len(self._length))
            self._length = np.concatenate([self._length, np.zeros(grow, dtype=np.float32)])
            self._alive = np.concatenate([self._alive, np.zeros(grow, dtype=np.float32)])
        self._length[slot] = len(tokens)
        self._alive[slot] = 1.0
        self._total += len(tokens)
        self._df.update(counts.keys())
        if overlay:
            for term, tf in counts.items():
                self._overlay.setdefault(term, []).append((slot, tf))
            self._overlay_docs += 1

    def _rebuild_base(self) -> None:
        """Re-pack live documents into term-sorted arrays; slots are renumbered densely."""
        live = [(i, self._terms[s]) for i, s in self._slot.items()]
        self._ids, self._slot, self._terms = [], {}, {}
        lengths = np.zeros(max(1024, len(live)), dtype=np.float32)
        rows: dict[str, list[tuple[int, int]]] = {}
        for slot, (entry_id, counts) in enumerate(live):
            self._ids.append(entry_id)
            self._slot[entry_id] = slot
            self._terms[slot] = counts
            lengths[slot] = sum(counts.values())
            for term, tf in counts.items():
                rows.setdefault(term, []).append((slot, tf))
        self._length = lengths
        self._alive = (np.arange(len(lengths)) < len(live)).astype(np.float32)
        self._total = float(lengths.sum())
        self._df = Counter({t: len(p) for t, p in rows.items()})
        self._span, start = {}, 0
        flat = []
        for term, postings in rows.items():
            self._span[term] = (start, start + len(postings))
            start += len(postings)
            flat += postings
        packed = np.asarray(flat, dtype=np.int64).reshape(-1, 2)
        self._post_slot = packed[:, 0].astype(np.int32)
        self._post_tf = packed[:, 1].astype(np.float32)
        self._overlay, self._overlay_docs = {}, 0
        self._weights = None

    @property
    def frequencies(self) -> Mapping[str, int]:
        """Term -> how many documents hold it (read only: the index keeps it)."""
        return self._df

    def idf(self, term: str) -> float:
        n, df = len(self._slot), self._df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _base_weights(self) -> np.ndarray:
        """Each base posting's tf / (tf + k1 (1 - b + b len / avgdl)), zero for a removed
        document: one pass after an edit, so a search sums idf x weight with no per-term
        arithmetic (0.50 -> 0.2 ms a query at 10k entries)."""
        if self._weights is None:
            slots, tfs = self._post_slot, self._post_tf
            self._weights = tfs / (tfs + self._norm(self._length[slots])) * self._alive[slots]
        return self._weights

    def _norm(self, lengths):
        """k1 (1 - b + b len / avgdl): how much a document's length damps its term counts."""
        return self.k1 * (1 - self.b + self.b * lengths / (self._total / len(self._slot)))

    def scores(self, tokens: list[str]) -> np.ndarray:
        """Score of every slot for the query tokens (0 for free slots)."""
        if not self._slot:
            return np.zeros(len(self._ids), dtype=np.float32)
        weights = self._base_weights()
        slots, parts = [], []
        for term in dict.fromkeys(tokens):
            if self._df.get(term, 0) <= 0:
                continue
            idf = self.idf(term)
            start, end = self._span.get(term, (0, 0))
            slots.append(self._post_slot[start:end])
            parts.append(weights[start:end] * idf)
            if extra := self._overlay.get(term):  # documents saved since the last re-pack
                more = np.asarray(extra, dtype=np.int64).reshape(-1, 2)
                tfs = more[:, 1].astype(np.float32)
                norm = self._norm(self._length[more[:, 0]])
                slots.append(more[:, 0])
                parts.append(idf * tfs / (tfs + norm) * self._alive[more[:, 0]])
        if not slots:
            return np.zeros(len(self._ids), dtype=np.float32)
        # a document appears once per term's postings, so summing per slot is exact
        summed = np.bincount(np.concatenate(slots), np.concatenate(parts), len(self._ids))
        return summed.astype(np.float32)

    def score_docs(self, entry_ids: list[str], tokens: list[str]) -> list[float]:
        """The scores of a few documents for `tokens` (0 for one not indexed), without
        scoring the whole collection: the idf of each term is looked up once."""
        terms = self._known(tokens)
        out = []
        for entry_id in entry_ids:
            slot = self._slot.get(entry_id)
            found = slot is not None and terms
            out.append(self._doc(self._terms[slot], float(self._length[slot]), terms)
                       if found else 0.0)  # fmt: skip
        return out

    def score_without(self, entry_id: str, tokens: list[str], removed: list[str]) -> float:
        """The entry's score for `tokens` had its document not held `removed` (one copy each):
        how a held-out phrasing scores against the rest of its own entry (calibration).
        Collection statistics stay as they are; one phrasing barely moves them."""
        slot = self._slot.get(entry_id)
        if slot is None:
            return 0.0
        length = max(0.0, float(self._length[slot]) - len(removed))
        kept = Counter(self._terms[slot]) - Counter(removed)
        return self._doc(kept, length, self._known(tokens))

    def _known(self, tokens: list[str]) -> list[tuple[str, float]]:
        """The query's distinct terms that some document holds, with their idf."""
        return [(t, self.idf(t)) for t in dict.fromkeys(tokens) if self._df.get(t, 0) > 0]

    def _doc(self, counts: dict[str, int], length: float, terms: list[tuple[str, float]]) -> float:
        """One document's BM25 sum over `terms`, from its term counts and length."""
        norm = self._norm(length)
        return sum(idf * tf / (tf + norm) for term, idf in terms if (tf := counts.get(term, 0)))

    def idf_mass(self, tokens: list[str]) -> float:
        """The idf of every term of the query, known or not: a scale for scores that does not
        depend on the size of the knowledge base. A word no entry has counts at full weight,
        since no entry explains it (收据能盖章吗: no entry says 盖章)."""
        return sum(self.idf(t) for t in dict.fromkeys(tokens))

    def search(
        self, tokens: list[str], k: int, allowed: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """The k best (entry id, score) with a score above zero."""
        scores = self.scores(tokens)
        if allowed is not None:
            keep = np.zeros(len(scores), dtype=bool)
            keep[[self._slot[i] for i in allowed if i in self._slot]] = True
            scores = np.where(keep, scores, 0.0)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        return [(self._ids[s], float(scores[s])) for s in hits]
