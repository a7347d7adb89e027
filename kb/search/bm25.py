"""The lexical retriever: BM25 (bm25s) over jieba words, character bigrams and domain concepts.

bm25s builds its sparse score matrix in one pass and cannot add a document, so an
edit rebuilds it from the token lists kept here: only the edited entry is
tokenised again, and the rebuild is a vectorised pass (see benchmarks/).
"""

from __future__ import annotations

import bm25s
import numpy as np


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.docs: dict[str, list[str]] = {}
        self._ids: list[str] = []
        self._model: bm25s.BM25 | None = None
        self._stale = True

    def set_entry(self, entry_id: str, tokens: list[str]) -> None:
        self.docs[entry_id] = tokens
        self._stale = True

    def remove_entry(self, entry_id: str) -> None:
        if self.docs.pop(entry_id, None) is not None:
            self._stale = True

    def _refresh(self) -> None:
        self._ids = list(self.docs)
        self._model = None
        if self._ids:
            self._model = bm25s.BM25(k1=self.k1, b=self.b)
            self._model.index([self.docs[i] or ["\0"] for i in self._ids], show_progress=False)
        self._stale = False

    def scores(self, tokens: list[str]) -> tuple[list[str], np.ndarray]:
        """Every entry's score for the query tokens, as (ids, scores) in matching order."""
        if self._stale:
            self._refresh()
        known = [t for t in tokens if self._model is not None and t in self._model.vocab_dict]
        if not known:
            return self._ids, np.zeros(len(self._ids), dtype=np.float32)
        return self._ids, self._model.get_scores(known)

    def search(
        self, tokens: list[str], k: int, allowed: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """The k best (entry id, score) with a score above zero."""
        ids, scores = self.scores(tokens)
        if allowed is not None:
            mask = np.fromiter((i in allowed for i in ids), dtype=bool, count=len(ids))
            scores = np.where(mask, scores, 0.0)
        if not len(scores):
            return []
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(ids[i], float(scores[i])) for i in top if scores[i] > 0]
