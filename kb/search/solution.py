"""The solution text as a second, lower-weight field: its own BM25 index and dense index.

A knowledge base written with two phrasings per scenario says most of what it knows
in the solution: 运费险 or 拦截 appear there and nowhere else. Searched on their own
and fused with a small weight (the calibration picks it per knowledge base), they
add evidence without letting a long answer outvote the customers' own words:
measured as fused hit@1, seed cut to one phrasing 0.666 -> 0.741, cut to two
0.711 -> 0.774, the full seed corpus 0.957 -> 0.960.

The solution is a passage, the customer's message a query: e5's asymmetric use.
A solution that only repeats a phrasing (FAQ imports that copy the question into
the answer) adds nothing and is not indexed. Both signals score only the candidates the
phrasing retrievers found (see SolutionIndex).
"""

from __future__ import annotations

import re

import numpy as np

from kb.model import Entry
from kb.search.bm25 import BM25Index
from kb.text import normalise

RETRIEVERS = ("solution", "solution_dense")  # BM25 over solutions; cosine to the solution
_SLOT = re.compile(r"\{\w+\}")  # template slots such as {tracking_no}


def solution_text(entry: Entry, texts: list[str]) -> str:
    """The normalised solution without its template slots; "" when it adds nothing to
    `texts` (the entry's title and phrasings, normalised).

    >>> e = Entry("a", "t", "退货", ["怎么退"], {}, solution="请点{link}申请")
    >>> solution_text(e, ["退货", "怎么退"])
    '请点申请'
    """
    text = normalise(_SLOT.sub("", entry.solution or ""))
    return "" if text in texts else text


class SolutionIndex:
    """Both solution signals, scored for the candidates the customers' words already found
    (the other retrievers' lists): a re-scorer, not a retriever. Scoring a few dozen
    candidates costs microseconds; retrieving over every solution cost 1.5 ms at 10k
    entries and found the right entry outside those lists too rarely to matter."""

    def __init__(self):
        self.bm25 = BM25Index()  # for the collection statistics and each document's counts
        self.vectors: dict[str, np.ndarray] = {}

    def __getstate__(self) -> dict:
        """The vectors as one matrix: a hundred thousand small arrays pickle slowly."""
        ids = list(self.vectors)
        matrix = np.stack([self.vectors[i] for i in ids]) if ids else None
        return {"bm25": self.bm25, "ids": ids, "matrix": matrix}

    def __setstate__(self, state: dict) -> None:
        self.bm25 = state["bm25"]
        self.vectors = dict(zip(state["ids"], state["matrix"], strict=True)) if state["ids"] else {}

    def build(self, tokens: dict[str, list[str]], vectors: dict[str, np.ndarray]) -> None:
        self.bm25.build(tokens)
        self.vectors = dict(vectors)

    def set_entry(self, entry_id: str, tokens: list[str], vector: np.ndarray | None) -> None:
        """Index one entry's solution, or drop it when it has none worth indexing."""
        self.remove_entry(entry_id)
        if tokens:
            self.bm25.set_entry(entry_id, tokens)
        if vector is not None:
            self.vectors[entry_id] = vector

    def remove_entry(self, entry_id: str) -> None:
        self.bm25.remove_entry(entry_id)
        self.vectors.pop(entry_id, None)

    def score(
        self, terms: list[str], vector: np.ndarray | None, retrievers: list[str], pool: set[str]
    ) -> dict[str, list[tuple[str, float]]]:
        """Each wanted solution signal's ranked (entry, score) list over `pool`."""
        lists = {}
        ordered = sorted(pool)
        if "solution" in retrievers and terms:
            scored = zip(ordered, self.bm25.score_docs(ordered, terms), strict=True)
            lists["solution"] = _ranked(scored)
        if "solution_dense" in retrievers and vector is not None:
            held = [i for i in ordered if i in self.vectors]
            if held:
                cosines = np.stack([self.vectors[i] for i in held]) @ vector
                lists["solution_dense"] = _ranked(zip(held, cosines.tolist(), strict=True))
        return lists


def _ranked(scored) -> list[tuple[str, float]]:
    return sorted(((i, v) for i, v in scored if v > 0), key=lambda p: (-p[1], p[0]))
