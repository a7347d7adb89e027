"""Similar past cases: graph proximity to the matched entries blended with text similarity.

A case is worth reading when it sits close to the scenario (a case of the entry
itself, of a related entry, or of an entry sharing a keyword) and when what that
customer said resembles this message. Text similarity uses the engine's own
embedder and cache; without one, shared tokens stand in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from kb.graph.build import KnowledgeGraph
from kb.model import Case

# How close each kind of graph link puts a case to the matched entry.
PROXIMITY = {"entry": 1.0, "related": 0.5, "keyword": 0.3}
GRAPH_WEIGHT = 0.5  # the rest is text similarity (0.3-0.6 measured within 0.01 of each other)
COSINE_LOW, COSINE_HIGH = 0.80, 0.95  # multilingual-e5: unrelated ~0.8, near paraphrase ~0.95


class CaseAnchor(NamedTuple):
    """A matched entry that similar cases are looked for around, weighted by its score."""

    entry_id: str
    weight: float  # its score relative to the top hit's
    title: str


@dataclass
class CaseHit:
    case: Case
    score: float
    entry_id: str  # the matched entry it was reached from
    why: list[str] = field(default_factory=list)
    similarity: float | None = None


def links(graph: KnowledgeGraph, entry_id: str, title: str) -> list[tuple[str, float, str]]:
    """(case id, proximity, reason) of every case near one entry: its own, its related
    entries', those of entries sharing one of its keywords. A function of the graph alone,
    so the engine keeps it per entry until anything is re-indexed."""
    out = []
    if not graph.has_entry(entry_id):
        return out  # a draft being previewed: it has no cases yet
    out += [(c, PROXIMITY["entry"], f"同一场景：{title}") for c in graph.cases_of(entry_id)]
    for related in graph.related(entry_id):
        label = graph.g.nodes.get(f"entry:{related}", {}).get("label", related)
        out += [(c, PROXIMITY["related"], f"相关场景：{label}") for c in graph.cases_of(related)]
    for other, shared in graph.sharing_keywords(entry_id).items():
        words = "、".join(sorted(shared)[:3])
        out += [(c, PROXIMITY["keyword"], f"共享关键词：{words}") for c in graph.cases_of(other)]
    return out


def candidates(weighted: list[CaseAnchor], links_of) -> dict[str, tuple[float, str, str]]:
    """case id -> (proximity, entry reached from, reason), the best link kept per case.

    `weighted` lists the matched entries, best first; `links_of(anchor)` is `links` of its
    entry.
    """
    out: dict[str, tuple[float, str, str]] = {}
    for anchor in weighted:
        for case_id, proximity, why in links_of(anchor):
            proximity *= anchor.weight
            if proximity > out.get(case_id, (0.0, "", ""))[0]:
                out[case_id] = (proximity, anchor.entry_id, why)
    return out


def rank_cases(
    cases: dict[str, Case],
    weighted: list[CaseAnchor],
    links_of,
    similarity,
    k: int,
) -> list[CaseHit]:
    """The k cases with the best blend of proximity and text similarity (both in [0, 1]).

    `similarity` maps a list of case ids to {case id: similarity}; it is asked only
    about the graph's candidates, never about every case.
    """
    near = {c: v for c, v in candidates(weighted, links_of).items() if c in cases}
    similarity = similarity(list(near)) if near else {}
    hits = []
    for case_id, (proximity, entry_id, why) in near.items():
        sim = similarity.get(case_id)
        score = GRAPH_WEIGHT * proximity + (1 - GRAPH_WEIGHT) * (sim or 0.0)
        reasons = [why] + ([f"与本次问题相似度 {sim:.2f}"] if sim is not None else [])
        hits.append(CaseHit(cases[case_id], score, entry_id, reasons, sim))
    hits.sort(key=lambda h: (-h.score, h.case.outcome != "resolved", h.case.id))
    return hits[:k]


def cosine_similarity(query: np.ndarray, vectors: dict[str, np.ndarray]) -> dict[str, float]:
    """Cosines mapped from the model's useful band onto [0, 1].

    >>> v = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0])}
    >>> cosine_similarity(np.array([1.0, 0.0]), v)
    {'a': 1.0, 'b': 0.0}
    """
    if not vectors:
        return {}
    cos = np.stack(list(vectors.values())) @ query
    band = np.clip((cos - COSINE_LOW) / (COSINE_HIGH - COSINE_LOW), 0.0, 1.0)
    return {case_id: float(b) for case_id, b in zip(vectors, band, strict=True)}


def token_similarity(query: set[str], tokens: dict[str, set[str]]) -> dict[str, float]:
    """Share of the case's tokens that the query also has (for the lexical-only engine).

    >>> token_similarity({"退货", "运费"}, {"c": {"退货", "快递"}})
    {'c': 0.5}
    """
    return {c: len(query & t) / len(t) if t else 0.0 for c, t in tokens.items()}
