"""The lexicon retriever: direct hits on the entries' recognition words (问题识别词库).

An entry is recognised by its keywords and their synonyms, widened by the shipped
domain lexicon (a synonym of 价保 also recognises every entry that uses 价保). A
query scores each entry by the keywords it hits, each weighted by how few entries
claim it, so 七天无理由 counts for more than 订单. A compound keyword (已发货改地址, 未发货退款)
is also recognised with its words spread out, in order and close together (已经发货了能改地址吗),
its 已/未 read as the query's tokens read them (kb/text.py, aspect_terms): editors write
keywords as labels, customers write sentences. Scored among the other retrievers'
candidates only, this lifted hybrid hit@1 on every seed-derived set of
benchmarks/transfer_eval.py by 0.001-0.005 (bq_dev, whose keywords are whole questions, -0.001).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from kb.model import Entry
from kb.search.packed import packed
from kb.text import NEGATORS, PERFECTIVE, normalise

MIN_TERM = 2  # one character ("退", "货") recognises nothing on its own


@cache
def domain_concepts() -> dict[str, tuple[str, ...]]:
    """The shipped concepts: name -> normalised words (name included), from domain_lexicon.yaml."""
    raw = yaml.safe_load(
        resources.files("kb.search").joinpath("domain_lexicon.yaml").read_text("utf-8")
    )
    out = {}
    for name, words in raw["concepts"].items():
        terms = dict.fromkeys(normalise(str(w)) for w in [name, *words])
        out[str(name)] = tuple(t for t in terms if len(t) >= MIN_TERM)
    return out


class Concepts:
    """Finds the domain concepts a text mentions, by substring, longest words first."""

    def __init__(self, concepts: dict[str, tuple[str, ...]] | None = None):
        concepts = domain_concepts() if concepts is None else concepts
        self.members = {name: set(terms) for name, terms in concepts.items()}
        self.of_term: dict[str, set[str]] = defaultdict(set)
        for name, terms in concepts.items():
            for term in terms:
                self.of_term[term].add(name)
        self.max_len = max((len(t) for t in self.of_term), default=0)

    def find(self, text: str) -> list[str]:
        """Concept names mentioned in normalised text, in order of first mention.

        >>> Concepts({"价保": ("价保", "买贵了")}).find("刚买就买贵了")
        ['价保']
        """
        found: dict[str, None] = {}
        for term, _start in substrings(text, self.of_term, self.max_len):
            found.update(dict.fromkeys(sorted(self.of_term[term])))
        return list(found)

    def expand(self, term: str) -> set[str]:
        """All words that share a concept with `term` (itself included)."""
        out = {term}
        for name in self.of_term.get(term, ()):
            out |= self.members[name]
        return out


def substrings(text: str, vocabulary, max_len: int):
    """Every (substring, start) of `text` that is in `vocabulary`, at most `max_len` long."""
    for start in range(len(text)):
        for end in range(start + MIN_TERM, min(len(text), start + max_len) + 1):
            piece = text[start:end]
            if piece in vocabulary:
                yield piece, start


def loose_parts(term: str, known) -> tuple[str, ...]:
    """The words a compound keyword is made of (dictionary words by backward maximum match,
    never the keyword itself), a negator or 已 joined to the word it marks as "+未word"/"+已word";
    () when it is not made of two parts.

    >>> loose_parts("已发货改地址", {"发货", "地址", "改地"}.__contains__)
    ('+已发货', '改', '地址')
    """
    pieces, j = [], len(term)
    while j > 0:
        i = max(0, j - 4)
        while i < j - 1 and (not known(term[i:j]) or term[i:j] == term):
            i += 1
        pieces.insert(0, term[i:j])
        j = i
    out, k = [], 0
    while k < len(pieces):
        marker = pieces[k]
        if (marker in NEGATORS or marker in PERFECTIVE) and k + 1 < len(pieces):
            out.append(("+未" if marker in NEGATORS else "+已") + pieces[k + 1])
            k += 2
        else:
            out.append(marker)
            k += 1
    return tuple(out) if len(out) >= 2 else ()


SPAN = 4  # a loose keyword's words may spread over its length plus this many characters


def loose_hit(parts: tuple[str, ...], query: str, tokens: set[str]) -> bool:
    """Every part in the query, in order and close together (aspects among its tokens)."""
    pos, start, length = 0, None, 0
    for part in parts:
        if part[0] == "+":
            if part[1:] not in tokens:
                return False
            length += len(part) - 1
            continue
        at = query.find(part, pos)
        if at < 0:
            return False
        start = at if start is None else start
        pos = at + len(part)
        length += len(part)
    return start is None or pos - start <= length + SPAN


@dataclass
class LexiconHit:
    entry_id: str
    score: float
    keywords: list[str]  # the entry keywords the query hit
    terms: list[str]  # the words of the query that hit them


class LexiconIndex:
    """Recognition words -> (entry, keyword), kept up to date one entry at a time."""

    EXPANDED_WEIGHT = 0.7  # a word the entry got from the domain lexicon, not its own editor

    def __init__(self, concepts: Concepts):
        self.concepts = concepts
        self.terms: dict[str, dict[str, dict[str, float]]] = {}  # entry -> keyword -> term -> w
        self.postings: dict[str, set[str]] = defaultdict(set)  # term -> entries
        self.max_len = 0
        self.loose: dict[str, dict[str, list[tuple[str, tuple[str, ...]]]]] = {}

    def __getstate__(self) -> dict:
        """Each entry's words pickled apart (kb/search/packed.py): a search reads those of
        its few dozen candidates only."""
        return self.__dict__ | {"terms": packed(self.terms)}

    def set_entry(self, entry: Entry, known=None) -> None:
        self.remove_entry(entry.id)
        keywords: dict[str, dict[str, float]] = {}
        loose: dict[str, list] = {}
        for keyword, synonyms in entry.keywords.items():
            own = {normalise(w) for w in [keyword, *synonyms]}
            own = {t for t in own if len(t) >= MIN_TERM}
            weights = {t: self.EXPANDED_WEIGHT for w in own for t in self.concepts.expand(w)}
            weights.update(dict.fromkeys(own, 1.0))
            keywords[keyword] = weights
            if known is not None:
                split = [(t, parts) for t in sorted(own) if len(t) >= 4
                         if (parts := loose_parts(t, known))]
                if split:
                    loose[keyword] = split
            for term in weights:
                self.postings[term].add(entry.id)
                self.max_len = max(self.max_len, len(term))
        self.terms[entry.id] = keywords
        if loose:
            self.loose[entry.id] = loose

    def remove_entry(self, entry_id: str) -> None:
        self.loose.pop(entry_id, None)
        for weights in self.terms.pop(entry_id, {}).values():
            for term in weights:
                holders = self.postings.get(term)
                if holders is not None:
                    holders.discard(entry_id)
                    if not holders:
                        del self.postings[term]

    def idf(self, term: str) -> float:
        return math.log(1 + len(self.terms) / max(1, len(self.postings.get(term, ()))))

    def _score(self, weight: float, term: str, idf: float | None = None) -> float:
        """A hit on `term`: its weight for the entry, its rarity, and its length (longer words
        are more specific: 七天无理由 over 退货)."""
        return weight * (self.idf(term) if idf is None else idf) * (0.6 + 0.2 * min(len(term), 5))

    def search(
        self, query: str, allowed: set[str] | None = None, candidates: set[str] | None = None,
        tokens: set[str] = frozenset(),
    ) -> list[LexiconHit]:
        """Entries whose recognition words occur in the normalised query, best first.

        With `candidates` (the other retrievers' lists) only those are scored: a
        generic word can be claimed by thousands of entries in a large knowledge
        base, and scanning them all would cost more than the whole rest of a query.
        """
        found = {term for term, _ in substrings(query, self.postings, self.max_len)}
        if candidates is None:
            candidates = set().union(*(self.postings[t] for t in found)) if found else set()
        if allowed is not None:
            candidates = candidates & allowed
        idf = {t: self.idf(t) for t in found}
        best: dict[str, dict[str, tuple[float, str]]] = {}  # entry -> keyword -> (score, term)
        # a word's holders among the candidates, not every candidate's words (a holder has the
        # word under at least one of its keywords: postings are built from them)
        for term in found:
            for entry_id in self.postings[term].intersection(candidates):
                mine = best.setdefault(entry_id, {})
                for keyword, weights in self.terms[entry_id].items():
                    if term in weights:
                        score = self._score(weights[term], term, idf[term])
                        if score > mine.get(keyword, (0.0, ""))[0]:
                            mine[keyword] = (score, term)
        for entry_id in candidates:  # compound keywords whose words the query spreads out
            for keyword, split in self.loose.get(entry_id, {}).items():
                if keyword in best.get(entry_id, {}):
                    continue
                for term, parts in split:
                    if loose_hit(parts, query, tokens):
                        score = self._score(self.terms[entry_id][keyword][term], term)
                        mine = best.setdefault(entry_id, {})
                        if score > mine.get(keyword, (0.0, ""))[0]:
                            mine[keyword] = (score, term)
        hits = []
        for entry_id, mine in best.items():
            ordered = [(k, mine[k]) for k in self.terms[entry_id] if k in mine]  # entry's order
            hits.append(LexiconHit(
                entry_id,
                sum(s for _, (s, _) in ordered),
                [k for k, _ in ordered],
                list(dict.fromkeys(t for _, (_, t) in ordered)),
            ))  # fmt: skip
        hits.sort(key=lambda h: (-h.score, h.entry_id))
        return hits
