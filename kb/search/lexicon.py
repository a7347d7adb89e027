"""The lexicon retriever: direct hits on the entries' recognition words (问题识别词库).

An entry is recognised by its keywords and their synonyms, widened by the shipped
domain lexicon (a synonym of 价保 also recognises every entry that uses 价保). A
query scores each entry by the keywords it hits, each weighted by how few entries
claim it, so 七天无理由 counts for more than 订单. A compound keyword (已发货改地址, 未发货退款)
is also recognised with its words spread out, in order and close together (已经发货了能改地址吗),
its 已/未 read as the query's tokens read them (kb/text.py, aspect_terms): editors write
keywords as labels, customers write sentences. Only the keyword itself is split (its
synonyms are customers' words already), and only for the other retrievers' candidates that
hold its longest word: hybrid hit@1 on benchmarks/transfer_eval.py seed 0.969 -> 0.972, seed
cut to k=2 0.868 -> 0.869 (precision at 70% coverage 0.947 -> 0.953), as a FAQ 0.828 -> 0.831,
bq_dev unchanged; about 0.1 ms per search at 10k entries.
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
from kb.text import aspect_mark, normalise

MIN_TERM = 2  # one character ("退", "货") recognises nothing on its own
# a hit counts more the longer its word (七天无理由 over 退货): by length, capped at 5
_LENGTH = [0.6 + 0.2 * n for n in range(6)]
LOOSE_MIN = 4  # a keyword this long may be a compound of words a customer spreads out


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
        mark = aspect_mark(pieces[k])
        if mark and k + 1 < len(pieces):
            out.append("+" + mark + pieces[k + 1])
            k += 2
        else:
            out.append(pieces[k])
            k += 1
    return tuple(out) if len(out) >= 2 else ()


def anchor(parts: tuple[str, ...]) -> str:
    """The longest word of a compound keyword (of an aspect part, its word: 发货 of +已发货).

    >>> anchor(("+已发货", "改", "地址"))
    '发货'
    """
    return max((p[2:] if p[0] == "+" else p for p in parts), key=len)


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
        # compound keywords by entry and anchor: [(keyword, term, its parts)], and the entries
        # holding each anchor (a query without a keyword's anchor cannot hit it)
        self.loose: dict[str, dict[str, list[tuple[str, str, tuple[str, ...]]]]] = {}
        self.anchors: dict[str, set[str]] = defaultdict(set)

    def __getstate__(self) -> dict:
        """Each entry's words pickled apart (kb/search/packed.py): a search reads those of
        its few dozen candidates only."""
        return self.__dict__ | {"terms": packed(self.terms)}

    def set_entry(self, entry: Entry, known=None) -> None:
        self.remove_entry(entry.id)
        keywords: dict[str, dict[str, float]] = {}
        loose: dict[str, list] = defaultdict(list)
        for keyword, synonyms in entry.keywords.items():
            own = {normalise(w) for w in [keyword, *synonyms]}
            own = {t for t in own if len(t) >= MIN_TERM}
            weights = {t: self.EXPANDED_WEIGHT for w in own for t in self.concepts.expand(w)}
            weights.update(dict.fromkeys(own, 1.0))
            keywords[keyword] = weights
            label = normalise(keyword)  # split the editor's label; synonyms are customers' words
            split = known is not None and len(label) >= LOOSE_MIN and label in own
            if split and (parts := loose_parts(label, known)):
                loose[anchor(parts)].append((keyword, label, parts))
            for term in weights:
                self.postings[term].add(entry.id)
                self.max_len = max(self.max_len, len(term))
        self.terms[entry.id] = keywords
        if loose:
            self.loose[entry.id] = dict(loose)
            for word in loose:
                self.anchors[word].add(entry.id)

    def remove_entry(self, entry_id: str) -> None:
        for word in self.loose.pop(entry_id, {}):
            self.anchors[word].discard(entry_id)
            if not self.anchors[word]:
                del self.anchors[word]
        for weights in self.terms.pop(entry_id, {}).values():
            for term in weights:
                holders = self.postings.get(term)
                if holders is not None:
                    holders.discard(entry_id)
                    if not holders:
                        del self.postings[term]

    def idf(self, term: str) -> float:
        return math.log(1 + len(self.terms) / max(1, len(self.postings.get(term, ()))))

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
                        score = weights[term] * idf[term] * _LENGTH[min(len(term), 5)]
                        if score > mine.get(keyword, (0.0, ""))[0]:
                            mine[keyword] = (score, term)
        # compound keywords whose words the query spreads out, of candidates holding an anchor
        anchors = {w for t in tokens if (w := t.lstrip("#")) in self.anchors}
        holding: set[str] = set()
        for word in anchors:
            holding |= candidates & self.anchors[word]  # set & set: the smaller one is walked
        for entry_id in holding:
            held = self.loose[entry_id]
            for keyword, term, parts in (k for a in anchors for k in held.get(a, ())):
                if keyword not in best.get(entry_id, {}) and loose_hit(parts, query, tokens):
                    weight = self.terms[entry_id][keyword][term]
                    score = weight * self.idf(term) * _LENGTH[min(len(term), 5)]
                    best.setdefault(entry_id, {})[keyword] = (score, term)
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
