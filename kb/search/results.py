"""The records a search produces: hits with their evidence, and the result around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from kb.model import Entry
from kb.search.cases import CaseHit
from kb.search.dense import DenseHit
from kb.search.lexicon import LexiconHit


@dataclass
class Hit:
    """One ranked entry and why it matched."""

    entry: Entry
    score: float  # fused
    confidence: float = 0.0
    confident: bool = False  # an answer on its own, not a guess
    keywords: list[str] = field(default_factory=list)  # entry keywords the query hit
    terms: list[str] = field(default_factory=list)  # words of the query that hit them
    phrasing: str = ""  # the entry's phrasing closest to the query
    ranks: dict[str, int | None] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    # what the message says happened that this scenario says the opposite of (已发货 against
    # 取消订单（未发货）): such a hit is listed after the others and is never confident
    contradicts: list[str] = field(default_factory=list)


@dataclass
class Alternative:
    """A neighbouring scenario the customer may have meant, and the word that tells them apart."""

    entry_id: str
    title: str
    keyword: str  # recognises the alternative but not the top entry
    top_keyword: str  # recognises the top entry but not the alternative


@dataclass
class SearchResult:
    query: str
    normalised: str
    hits: list[Hit]
    confident: bool  # is the top hit an answer, not a guess?
    ambiguous: list[str]  # entries whose scores are too close to the top one to call
    alternatives: list[Alternative] = field(default_factory=list)  # "did you mean"
    cases: list[CaseHit] = field(default_factory=list)  # past cases worth reading

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None


@dataclass
class Retrieved:
    """Every retriever's ranked (entry id, score) list for one query, before fusion."""

    lists: dict[str, list[tuple[str, float]]]
    idf_mass: float  # the most a BM25 document could score for this query
    dense: dict[str, DenseHit] = field(default_factory=dict)
    lexicon: dict[str, LexiconHit] = field(default_factory=dict)
    fused: dict[str, float] = field(default_factory=dict)  # filled by fusion

    @cached_property
    def _positions(self) -> dict[str, dict[str, tuple[int, float]]]:
        """retriever -> entry -> (rank, score); built once the lists are final (judging)."""
        return {name: {item: (rank, score) for rank, (item, score) in enumerate(ranked, 1)}
                for name, ranked in self.lists.items()}  # fmt: skip

    @cached_property
    def cosines(self) -> list[tuple[str, float]]:
        """The dense list with plain cosines, best first: the evidence the confidence model
        weighs (the list's own scores are discounted for hubness, kb/search/dense.py)."""
        pairs = [(i, self.dense[i].cosine if i in self.dense else s)
                 for i, s in self.lists.get("dense", ())]  # fmt: skip
        return sorted(pairs, key=lambda p: -p[1])

    def rank(self, retriever: str, entry_id: str) -> int | None:
        found = self._positions.get(retriever, {}).get(entry_id)
        return found[0] if found else None

    def score(self, retriever: str, entry_id: str) -> float | None:
        found = self._positions.get(retriever, {}).get(entry_id)
        return found[1] if found else None

    def best_other(self, retriever: str, entry_id: str) -> float | None:
        """The best score any other entry got from `retriever` (None: no other entry)."""
        return next((v for i, v in self.lists.get(retriever, ()) if i != entry_id), None)
