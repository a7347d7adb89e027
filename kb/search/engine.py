"""The search engine: one query through normalise, tokenise, retrieve, fuse and explain.

Built from the store's live entries; derived, never written back except for the
embedding cache. Before each query it asks the store which entries changed since
it last looked, so an edit saved by any process is searchable on the next query,
and only that entry is tokenised and encoded again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.errors import ConfigError
from kb.graph.build import KnowledgeGraph, keyword_node
from kb.model import Case, Entry
from kb.search.bm25 import BM25Index
from kb.search.cases import CaseHit, cosine_similarity, rank_cases, token_similarity
from kb.search.confidence import confidence
from kb.search.dense import DenseIndex
from kb.search.embed import Embedder
from kb.search.fusion import rrf, weighted_sum
from kb.search.lexicon import Concepts, LexiconIndex
from kb.store import Store
from kb.text import Tokenizer, normalise

RETRIEVERS = ("bm25", "lexicon", "dense")
# Measured with `kb eval tests/data/queries.tsv --ablate`: BM25 alone is the strongest
# ranker, dense adds recall on paraphrases, and the lexicon ranks well only when a
# keyword is named, so it mostly breaks ties (its real job is explanation and confidence).
WEIGHTS = {"bm25": 1.0, "lexicon": 0.1, "dense": 0.5}
RRF_K = 5.0  # small k: the first ranks decide (a need is usually the top hit of some retriever)
FUSIONS = ("rrf", "weighted")  # rrf won on the labelled set; `kb eval --fusion` compares them
DEPTH = 30  # how deep each retriever's list goes into fusion


@dataclass
class Hit:
    """One ranked entry and why it matched."""

    entry: Entry
    score: float
    confidence: float = 0.0
    confident: bool = False  # an answer on its own, not a guess
    keywords: list[str] = field(default_factory=list)  # entry keywords the query hit
    terms: list[str] = field(default_factory=list)  # words of the query that hit them
    phrasing: str = ""  # the entry's phrasing closest to the query
    ranks: dict[str, int | None] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)


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


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class Engine:
    """Hybrid search over the live entries of one store file. Safe to share between threads."""

    def __init__(
        self,
        db: str | Path,
        embedder: Embedder | None,
        query_cache: int = 4096,
        fusion: str = "rrf",
    ):
        if fusion not in FUSIONS:
            raise ConfigError(f"unknown fusion {fusion!r}; choose from {', '.join(FUSIONS)}")
        self.fusion = fusion
        self.store = Store(db, shared=True)
        self.embedder = embedder
        self.lock = threading.RLock()
        self.concepts = Concepts()
        self.tokenizer = Tokenizer()
        self.entries: dict[str, Entry] = {}
        self._dated: set[str] = set()  # entries with a validity window
        self._phrase_tokens: dict[str, list[set[str]]] = {}  # per entry, per text of texts()
        self.lexicon = LexiconIndex(self.concepts)
        self.bm25 = BM25Index()
        self.dense = DenseIndex(embedder.dim) if embedder else None
        self._seq = 0
        self._case_seq = -1
        self.graph = KnowledgeGraph()
        self.cases: dict[str, Case] = {}
        self._case_vectors: dict[str, np.ndarray] = {}
        self._case_tokens: dict[str, set[str]] = {}
        self.encoded = 0  # texts sent to the encoder since start (the cache's other side)
        self._embed_query = lru_cache(maxsize=query_cache)(self._encode_query)
        # whole results of repeated messages, dropped whenever anything is re-indexed
        self._results: OrderedDict[tuple, SearchResult] = OrderedDict()
        self._results_max = query_cache
        self._generation = 0  # bumped by every re-index: a result computed across one is stale
        self.rebuild()

    def close(self) -> None:
        self.store.close()

    # building ---------------------------------------------------------------

    def rebuild(self) -> None:
        """Index every live entry from scratch (vectors come from the cache where they can)."""
        with self.lock:
            _, self._seq = self.store.changed_since(0)
            entries = self.store.entries(live_only=True)
            self.entries = {e.id: e for e in entries}
            self._dated = set()
            self.tokenizer.add_words(_lexicon_words(entries))
            self.lexicon = LexiconIndex(self.concepts)
            self.bm25 = BM25Index()
            for entry in entries:
                self._index_text(entry, bm25=False)
            self.bm25.build({e.id: self._document(e) for e in entries})
            if self.dense is not None:
                self.dense.build(self._vectors(entries))
            self.graph = KnowledgeGraph.from_store(self.store)
            self._load_cases()

    def _load_cases(self) -> None:
        """Cases and their vectors (what each customer said), for the similar-case ranking."""
        self._case_seq = self.store.case_seq()
        self.cases = {c.id: c for c in self.store.cases()}
        for case in self.cases.values():
            self.graph.set_case(case)
        texts = {c.id: normalise(c.customer) for c in self.cases.values()}
        self._case_tokens = {i: set(self.tokenizer.tokens(t)) for i, t in texts.items()}
        if self.embedder is not None:
            vectors = self._encode(list(texts.values()))
            self._case_vectors = {i: vectors[text_hash(t)] for i, t in texts.items()}

    def refresh(self) -> list[str]:
        """Re-index the entries saved since the last look; return their ids."""
        with self.lock:
            if self.store.case_seq() != self._case_seq:
                self._load_cases()
                self._forget_results()
            changed, seq = self.store.changed_since(self._seq)
            if not changed:
                return []
            self._forget_results()
            self._seq = seq
            for entry_id in changed:
                self._reindex(self.store.live_entry(entry_id), entry_id)
                self.graph.set_entry(self.store.get_entry(entry_id))
            return changed

    def _reindex(self, entry: Entry | None, entry_id: str) -> None:
        if entry is None:
            self.entries.pop(entry_id, None)
            self._dated.discard(entry_id)
            self._phrase_tokens.pop(entry_id, None)
            self.lexicon.remove_entry(entry_id)
            self.bm25.remove_entry(entry_id)
            if self.dense is not None:
                self.dense.remove_entry(entry_id)
            return
        self.entries[entry.id] = entry
        self.tokenizer.add_words(_lexicon_words([entry]))
        self._index_text(entry)
        if self.dense is not None:
            self.dense.set_entry(entry.id, self._vectors([entry])[entry.id])

    def _index_text(self, entry: Entry, bm25: bool = True) -> None:
        if entry.valid_from or entry.valid_to:
            self._dated.add(entry.id)
        else:
            self._dated.discard(entry.id)
        self.lexicon.set_entry(entry)
        if bm25:
            self.bm25.set_entry(entry.id, self._document(entry))
        self._phrase_tokens[entry.id] = [set(self.tokenizer.tokens(t)) for t in self.texts(entry)]

    def _document(self, entry: Entry) -> list[str]:
        """BM25 tokens: title twice, phrasings, lexicon words, and the domain concepts they name."""
        words = [w for k, syns in entry.keywords.items() for w in (k, *syns)]
        texts = [entry.title, entry.title, *entry.questions, " ".join(words)]
        tokens = [t for text in texts for t in self.tokenizer.tokens(text)]
        concepts = self.concepts.find(normalise(" ".join([entry.title, *entry.questions, *words])))
        return tokens + ["@" + c for c in concepts]

    @staticmethod
    def texts(entry: Entry) -> list[str]:
        """What the dense index holds for an entry: its title and each customer phrasing."""
        return list(dict.fromkeys(normalise(t) for t in [entry.title, *entry.questions]))

    def _vectors(self, entries: Iterable[Entry]) -> dict[str, np.ndarray]:
        """Each entry's vectors (title and phrasings), from the cache where it has them."""
        texts = {e.id: self.texts(e) for e in entries}
        vectors = self._encode([t for ts in texts.values() for t in ts])
        return {i: np.stack([vectors[text_hash(t)] for t in ts]) for i, ts in texts.items()}

    def _encode(self, texts: list[str]) -> dict[str, np.ndarray]:
        """text hash -> passage vector, encoding only texts the store has not cached."""
        assert self.embedder is not None
        wanted = list(dict.fromkeys(texts))
        cached = self.store.embeddings(self.embedder.name, [text_hash(t) for t in wanted])
        missing = [t for t in wanted if text_hash(t) not in cached]
        if missing:
            fresh = {}
            for i in range(0, len(missing), 64):
                batch = missing[i : i + 64]
                for text, vector in zip(batch, self.embedder.encode_passages(batch), strict=True):
                    fresh[text_hash(text)] = np.asarray(vector, dtype=np.float32).tobytes()
            self.encoded += len(missing)
            self.store.put_embeddings(self.embedder.name, fresh)
            cached.update(fresh)
        return {h: np.frombuffer(v, dtype=np.float32) for h, v in cached.items()}

    def vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Unit passage vectors of normalised texts, through the store's cache (gap clustering)."""
        with self.lock:
            by_hash = self._encode(texts)
        out = {}
        for t in texts:
            v = by_hash[text_hash(t)]
            out[t] = v / (np.linalg.norm(v) or 1.0)
        return out

    def _encode_query(self, text: str) -> np.ndarray:
        assert self.embedder is not None
        return self.embedder.encode_queries([text])[0]

    # searching --------------------------------------------------------------

    def search(
        self,
        query: str,
        top: int = 5,
        topic: list[str] | None = None,
        retrievers: Iterable[str] = RETRIEVERS,
        cache: bool = True,  # False: neither read nor fill the result cache (benchmarks)
    ) -> SearchResult:
        """Rank live entries for a customer message; `topic` is a list of topic ids to keep."""
        self.refresh()
        retrievers = [r for r in retrievers if r in self._retrievers()]
        norm = normalise(query)
        key = (norm, top, tuple(topic or ()), topic is None, tuple(retrievers),
               dt.date.today())  # fmt: skip
        with self.lock:
            if cache and key in self._results:
                self._results.move_to_end(key)
                return replace(self._results[key], query=query)
            generation = self._generation
        result = self._search(query, norm, top, topic, retrievers)
        with self.lock:
            if cache and generation == self._generation:
                self._results[key] = result
                if len(self._results) > self._results_max:
                    self._results.popitem(last=False)
        return result

    def _forget_results(self) -> None:
        self._results.clear()
        self._generation += 1

    def _search(self, query, norm, top, topic, retrievers) -> SearchResult:
        vector = self._embed_query(norm) if "dense" in retrievers and norm else None
        with self.lock:
            today = dt.date.today().isoformat()
            # Most entries have no validity window: filter the few that do, not all of them.
            excluded = {
                i
                for i in self._dated
                if not (self.entries[i].valid_from or "")
                <= today
                <= (self.entries[i].valid_to or "9")
            }
            allowed = None
            if topic is not None:
                allowed = {e.id for e in self.entries.values() if e.topic in topic} - excluded
            lists: dict[str, list[tuple[str, float]]] = {}
            lexicon_hits = {}
            dense_hits = {}
            tokens = set(self.tokenizer.tokens(norm)) if norm else set()
            if "bm25" in retrievers and tokens:
                concepts = ["@" + c for c in self.concepts.find(norm)]
                lists["bm25"] = self.bm25.search([*tokens, *concepts], DEPTH, allowed)
            if vector is not None and self.dense is not None:
                found = self.dense.search(vector, DEPTH, allowed)
                dense_hits = {h.entry_id: h for h in found}
                lists["dense"] = [(h.entry_id, h.score) for h in found]
            if "lexicon" in retrievers:
                # alone it scans every entry it recognises; beside others it scores their lists
                pool = {i for ranked in lists.values() for i, _ in ranked} if lists else None
                found = self.lexicon.search(norm, allowed, pool)[:DEPTH]
                lexicon_hits = {h.entry_id: h for h in found}
                lists["lexicon"] = [(h.entry_id, h.score) for h in found]
            if excluded:
                lists = {n: [(i, v) for i, v in r if i not in excluded] for n, r in lists.items()}
            if self.fusion == "rrf":
                fused = rrf({n: [i for i, _ in r] for n, r in lists.items()}, WEIGHTS, RRF_K)
            else:
                fused = weighted_sum({n: dict(r) for n, r in lists.items()}, WEIGHTS)
            order = sorted(fused, key=lambda i: (-fused[i], i))[: max(top, 1)]
            hits = []
            for entry_id in order:
                entry = self.entries[entry_id]
                ranks = {n: _rank(ranked, entry_id) for n, ranked in lists.items()}
                scores = {n: dict(ranked)[entry_id] for n, ranked in lists.items()
                          if entry_id in dict(ranked)}  # fmt: skip
                lex = lexicon_hits.get(entry_id)
                dense = dense_hits.get(entry_id)
                hits.append(Hit(
                    entry=entry,
                    score=fused[entry_id],
                    keywords=lex.keywords if lex else [],
                    terms=lex.terms if lex else [],
                    phrasing=self._phrasing(entry, dense.text_index if dense else None, tokens),
                    ranks=ranks,
                    scores=scores,
                ))  # fmt: skip
            return self._judge(query, norm, hits, lists, vector, tokens)

    def preview(self, draft: Entry, query: str, top: int = 10) -> SearchResult:
        """Rank a customer message as if `draft` were live: an editor's test before saving.

        The draft takes its entry's place in every index for this one search, then the
        live entry is put back; the lock keeps every other search out meanwhile.
        """
        self.refresh()
        norm = normalise(query)
        with self.lock:
            live = self.entries.get(draft.id)
            self._reindex(draft, draft.id)
            try:
                return self._search(query, norm, top, None, list(self._retrievers()))
            finally:
                self._reindex(live, draft.id)

    def _retrievers(self) -> list[str]:
        return [r for r in RETRIEVERS if r != "dense" or self.dense is not None]

    def _phrasing(self, entry: Entry, text_index: int | None, tokens: set[str]) -> str:
        """The dense retriever's closest phrasing, else the one sharing most tokens."""
        texts = self.texts(entry)
        if text_index is None:
            overlaps = [len(tokens & t) for t in self._phrase_tokens[entry.id]]
            text_index = overlaps.index(max(overlaps))
        return texts[text_index]

    def _judge(self, query, norm, hits: list[Hit], lists, vector, tokens) -> SearchResult:
        """Attach confidences, call the result confident or not, name rivals and cases."""
        for hit in hits:
            hit.confidence = confidence(hit, "dense" in lists)
            hit.confident = hit.confidence >= CONFIDENT
        confident = bool(hits) and hits[0].confident
        ambiguous = []
        if hits:
            ambiguous = [h.entry.id for h in hits[1:] if h.score >= hits[0].score * AMBIGUOUS]
        result = SearchResult(query, norm, hits, confident, ambiguous)
        if hits:
            result.alternatives = self._alternatives(hits[0].entry, ambiguous)
            weighted = [(h.entry.id, h.score / hits[0].score, h.entry.title) for h in hits[:3]]
            result.cases = self.similar_cases(weighted, vector, tokens, CASES)
        return result

    def _alternatives(self, top: Entry, ambiguous: list[str]) -> list[Alternative]:
        """Close rivals that are graph neighbours of the top entry, with the words between them."""
        out = []
        near = self.graph.related(top.id)
        for entry_id in ambiguous:
            other = self.entries[entry_id]
            if entry_id not in near and other.topic != top.topic:
                continue
            theirs = _first_own_keyword(other, top)
            if theirs:
                out.append(
                    Alternative(entry_id, other.title, theirs, _first_own_keyword(top, other))
                )
        return out

    def similar_cases(
        self,
        weighted: list[tuple[str, float, str]],
        vector: np.ndarray | None,
        tokens: set[str],
        k: int,
    ) -> list[CaseHit]:
        """Past cases near the weighted entries, most similar to the query first."""

        def similarity(ids: list[str]) -> dict[str, float]:
            if vector is not None and self._case_vectors:
                return cosine_similarity(vector, {i: self._case_vectors[i] for i in ids})
            if tokens:
                return token_similarity(tokens, {i: self._case_tokens[i] for i in ids})
            return {}

        return rank_cases(self.graph, self.cases, weighted, similarity, k)

    def cases_for_entry(self, entry_id: str, query: str | None = None, k: int = 5) -> list[CaseHit]:
        """Cases worth reading for one entry, optionally ranked against a customer message."""
        self.refresh()
        norm = normalise(query) if query else ""
        vector = self._embed_query(norm) if norm and self.embedder is not None else None
        with self.lock:  # the engine's connection is shared: one thread at a time
            entry = self.store.get_entry(entry_id)
            tokens = set(self.tokenizer.tokens(norm)) if norm else set()
            return self.similar_cases([(entry.id, 1.0, entry.title)], vector, tokens, k)


CONFIDENT = 0.4  # below this the top hit is a guess: OUT, or a suggestion at most
AMBIGUOUS = 0.85  # a rival within 15% of the top fused score is a real alternative
CASES = 3  # similar cases attached to a search result


def _first_own_keyword(entry: Entry, other: Entry) -> str:
    """The entry's first keyword (editors list the defining one first) that `other` lacks."""
    theirs = {keyword_node(w) for k, syns in other.keywords.items() for w in (k, *syns)}
    return next((k for k in entry.keywords if keyword_node(k) not in theirs), "")


def _rank(ranked: list[tuple[str, float]], entry_id: str) -> int | None:
    for i, (item, _) in enumerate(ranked, start=1):
        if item == entry_id:
            return i
    return None


def _lexicon_words(entries: Iterable[Entry]) -> list[str]:
    return [w for e in entries for k, syns in e.keywords.items() for w in (k, *syns)]
