"""Content gaps: what customers asked that the knowledge base could not answer, grouped by need.

A gap is a message with no confident match, or one a human took over without
using any entry. Messages are grouped greedily, most frequent first: a message
joins the closest group when their embeddings are near, or nearly as near and
they share enough words (character bigrams). Each group is one missing entry,
or a lexicon the existing one lacks: the nearest entry is shown to tell which.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from kb.model import Recommendation
from kb.store import Store
from kb.text import char_ngrams

if TYPE_CHECKING:
    from kb.search.engine import Engine

MESSAGES_MAX = 5000  # newest gap messages grouped per call: a day of a busy shop

# multilingual-e5 puts unrelated Chinese sentences near 0.85 and the same need above 0.92.
SAME_NEED = 0.92
NEAR = 0.88  # ... and between the two, shared bigrams decide
SHARED = 0.3  # bigram overlap (over the smaller set) that makes near messages one need
LEXICAL_ONLY = 0.5  # without embeddings, the overlap alone must be larger


@dataclass
class Gap:
    id: str
    label: str  # the most frequent message of the group
    count: int  # messages
    examples: list[str]  # distinct messages as customers wrote them, most frequent first
    first_seen: str
    last_seen: str
    nearest: tuple[str, float] | None = None  # closest existing entry and its confidence
    messages: list[str] = field(default_factory=list)  # normalised, for tests and tools


def cluster(recs: list[Recommendation], vectors: dict[str, np.ndarray] | None) -> list[Gap]:
    """Group gap messages by need; `vectors` maps normalised text to a unit vector."""
    by_text: dict[str, list[Recommendation]] = {}
    for r in recs:
        if r.normalised:
            by_text.setdefault(r.normalised, []).append(r)
    texts = sorted(by_text, key=lambda t: (-len(by_text[t]), t))
    groups: list[dict] = []
    for t in texts:
        grams = set(char_ngrams(t)) or {t}
        vec = vectors.get(t) if vectors else None
        best, best_score = None, 0.0
        for g in groups:
            score = _affinity(grams, vec, g)
            if score > best_score:
                best, best_score = g, score
        if best is None:
            best = {"texts": [], "grams": [], "sum": None, "n": 0}
            groups.append(best)
        best["texts"].append(t)
        best["grams"].append(grams)
        if vec is not None:
            best["sum"] = vec if best["sum"] is None else best["sum"] + vec
        best["n"] += len(by_text[t])
    out = []
    for g in groups:
        members = [r for t in g["texts"] for r in by_text[t]]
        raw = Counter(r.query.strip() for r in members)
        times = sorted(r.created_at for r in members)
        label = g["texts"][0]
        out.append(
            Gap(
                id=hashlib.sha1(label.encode()).hexdigest()[:10],
                label=label,
                count=g["n"],
                examples=[q for q, _ in raw.most_common(5)],
                first_seen=times[0],
                last_seen=times[-1],
                messages=g["texts"],
            )
        )
    return sorted(out, key=lambda gap: (-gap.count, gap.label))


def _affinity(grams: set[str], vec: np.ndarray | None, group: dict) -> float:
    """How well a message fits a group, 0 when it does not fit at all."""
    overlap = max(
        (len(grams & theirs) / max(1, min(len(grams), len(theirs)))
         for theirs in group["grams"][:20]),
        default=0.0,
    )  # fmt: skip
    if vec is None or group["sum"] is None:
        return overlap if overlap >= LEXICAL_ONLY else 0.0
    centre = group["sum"] / np.linalg.norm(group["sum"])
    cos = float(vec @ centre)
    if cos >= SAME_NEED or (cos >= NEAR and overlap >= SHARED):
        return cos + overlap
    return 0.0


def find_gaps(store: Store, engine: Engine | None, since_day: str, min_count: int = 2) -> list[Gap]:
    """The window's gap messages grouped by need, each with the nearest existing entry."""
    recs = store.gap_messages(since_day, MESSAGES_MAX)
    texts = list(dict.fromkeys(r.normalised for r in recs if r.normalised))
    vectors = engine.vectors(texts) if engine is not None and engine.embedder else None
    gaps = [g for g in cluster(recs, vectors) if g.count >= min_count]
    if engine is not None:
        for gap in gaps:
            top = engine.search(gap.label, top=1).top
            gap.nearest = (top.entry.id, round(top.confidence, 4)) if top else None
    return gaps
