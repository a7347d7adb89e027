"""The search engine: one query through normalise, tokenise, retrieve, fuse and explain.

Built from the store's live entries; derived, never written back except for the
embedding cache. Before each query it asks the store which entries changed since
it last looked, so an edit saved by any process is searchable on the next query,
and only that entry is tokenised and encoded again. With an index cache folder, the
indexes are saved there (kb/search/index_cache.py) and a restart loads them, then
applies the same way whatever was saved while the process was down.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import itertools
import json
import logging
import math
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.errors import ConfigError, Unavailable
from kb.graph.build import KnowledgeGraph, keyword_node
from kb.model import Case, Entry
from kb.search import TOP, calibrate, homophones, solution, typed_pinyin
from kb.search.bm25 import BM25Index
from kb.search.calibrate import Calibration, features
from kb.search.cases import (
    CaseAnchor,
    CaseHit,
    cosine_similarity,
    links,
    rank_cases,
    token_similarity,
)
from kb.search.dense import DenseIndex
from kb.search.embed import Embedder
from kb.search.fusion import FUSIONS, rrf, weighted_sum
from kb.search.index_cache import FORMAT, IndexCache, code_digest, unchanged
from kb.search.lexicon import Concepts, LexiconIndex
from kb.search.packed import packed
from kb.search.results import Alternative, Hit, Retrieved, SearchResult
from kb.search.solution import SolutionIndex, solution_text
from kb.store import Store
from kb.text import Tokenizer, contradictions, normalise, stated, stated_by_most

log = logging.getLogger(__name__)
RETRIEVERS = ("bm25", "lexicon", "dense", "cases", *solution.RETRIEVERS)
DENSE = ("dense", "cases", "solution_dense")  # the retrievers that need an embedder
RESCORERS = solution.RETRIEVERS  # score the others' candidates: nothing to run alone
PHRASINGS = ("bm25", "lexicon", "dense")  # the retrievers of the entries' own words
RRF_K = 5.0  # small k: the first ranks decide (a need is usually the top hit of some retriever)
DEPTH = 30  # how deep each retriever's list goes into fusion
# Past cases searched by HNSW from this many: a flat scan of 4k vectors costs about 0.3 ms,
# of the 20k where phrasings switch (kb/search/dense.py) 2.7 ms
CASES_HNSW_MIN = 4096


def phrasings_key(model: str) -> str:
    """The embedding cache's name for a model's phrasing vectors (encoded as queries)."""
    return f"{model}|query"


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class Engine:
    """Hybrid search over the live entries of one store file. Safe to share between threads."""

    def __init__(
        self,
        db: str | Path,
        embedder: Embedder | None,
        query_cache: int = 4096,
        fusion: str = FUSIONS[0],
        answer_precision: float = calibrate.ANSWER_PRECISION,
        index_cache: str | Path | None = None,  # a folder to keep the indexes in across starts
    ):
        if fusion not in FUSIONS:
            raise ConfigError(f"unknown fusion {fusion!r}; choose from {', '.join(FUSIONS)}")
        self.fusion = fusion
        self.answer_precision = answer_precision  # the target the confidence line is fitted to
        self.calibration = Calibration()
        self._changed_since_fit = 0
        self.store = Store(db, shared=True)
        self.embedder = embedder
        self.lock = threading.RLock()
        self._refreshing = threading.Lock()
        self.concepts = Concepts()
        self.tokenizer = Tokenizer()
        self.entries: dict[str, Entry] = {}
        self._dated: set[str] = set()  # entries with a validity window
        # entry -> topic, for topic filters: `entries` stays packed after a warm start
        # (kb/search/packed.py), and a filter over it would unpickle every entry
        self._topic_of: dict[str, str] = {}
        self._excluded: tuple[str, set[str]] = ("", set())  # (day, entries out of date then)
        self._phrase_tokens: dict[str, list[set[str]]] = {}  # per entry, per text of texts()
        self._verbatim: dict[str, set[str]] = {}  # normalised phrasing -> entries that hold it
        self._verbatim_of: dict[str, list[str]] = {}  # entry -> its normalised phrasings
        self._states: dict[str, dict[str, str]] = {}  # entry -> what it is about having happened
        self.lexicon = LexiconIndex(self.concepts)
        self.bm25 = BM25Index()
        self.dense = DenseIndex(embedder.dim) if embedder else None
        self.solutions = SolutionIndex()
        self._seq = 0
        self._case_seq = -1
        self.graph = KnowledgeGraph()
        self.cases: dict[str, Case] = {}
        self._case_vectors: dict[str, np.ndarray] = {}
        self._case_tokens: dict[str, set[str]] = {}
        self.case_dense: DenseIndex | None = None  # what customers said in past cases
        self.encoded = 0  # texts sent to the encoder since start (the cache's other side)
        self._embed_query = lru_cache(maxsize=query_cache)(self._encode_query)
        # whole results of repeated messages, dropped whenever anything is re-indexed
        self._results: OrderedDict[tuple, SearchResult] = OrderedDict()
        self._results_max = query_cache
        self._links: dict[tuple[str, str], list] = {}  # similar cases' graph walks (_case_links)
        self._generation = 0  # bumped by every re-index: a result computed across one is stale
        self._pinyin: tuple[int, dict] = (-1, {})  # (generation, typed_pinyin.lexicon)
        self.indexed = 0  # entries tokenised and indexed since start (the snapshot's other side)
        self.index_cache = IndexCache(index_cache) if index_cache else None
        self._unsaved = 0  # entries re-indexed since the snapshot on disk was written
        self._closed = threading.Event()
        # how the indexes came to be at start: loaded from the cache, or built and why
        self.start = self._load_snapshot()
        if self.start != "loaded":
            self.rebuild()
            if self.index_cache is not None:
                self.save_snapshot()

    def close(self) -> None:
        self._closed.set()
        self.store.close()
        if self.start == "loaded":  # the loaded state was frozen (index_cache): free it
            gc.unfreeze()

    def follow_changes(self) -> threading.Thread:
        """Re-index what any process saves as it is saved, not at the next search: on the
        store's announcement (PostgreSQL's LISTEN/NOTIFY), or after FOLLOW_EVERY seconds
        without one, from the change counter. For a long-lived server; stops at close()."""
        thread = threading.Thread(target=self._follow, name="kb-follow", daemon=True)
        thread.start()
        return thread

    def _follow(self) -> None:
        while not self._closed.is_set():
            self.store.wait_for_change(FOLLOW_EVERY)
            if self._closed.is_set():
                return
            try:
                self.refresh()
            except Unavailable as exc:  # the database is away: the next look tries again
                log.warning("following changes: %s", exc.message)

    # building ---------------------------------------------------------------

    def _load_snapshot(self) -> str:
        """Take the indexes from the cache and apply what was saved since: "loaded", or why
        they must be built instead."""
        if self.index_cache is None:
            return "built: index cache off"
        state, why = self.index_cache.load(self._snapshot_key())
        if state is None:
            return f"built: {why}"
        changed = set(self.store.changed_since(state["_seq"])[0])
        if not unchanged(state.pop("seqs"), changed, self.store.seq_profile(state["_seq"])):
            return "built: the database is not the one the snapshot saw (a backup put back?)"
        with self.lock:
            self.tokenizer.replay(state.pop("words"))
            for name in SNAPSHOT:
                setattr(self, name, state[name])
            self.lexicon.concepts = self.concepts
        self._unsaved = len(self._catch_up())
        if not self._load_calibration():
            self.calibrate()
        if self._unsaved >= RESAVE_AFTER:
            self.save_snapshot()
        return "loaded"

    def _snapshot_key(self) -> dict:
        """What a snapshot must have been made with to be loaded here (see index_cache)."""
        topics = repr((self.store.topics(), self.store.processes())).encode("utf-8")
        return {
            "format": FORMAT,
            "code": code_digest(),
            "database": self.store.identity(),
            "embedder": self.embedder.name if self.embedder else "none",
            "dim": self.embedder.dim if self.embedder else 0,
            "topics": hashlib.sha1(topics).hexdigest(),  # the graph takes them only at build
        }

    def save_snapshot(self) -> None:
        """Write the indexes to the cache as they are now (under the lock: a consistent state)."""
        if self.index_cache is None:
            return
        with self.lock:
            seqs = self.store.entry_seqs()
            state = {name: getattr(self, name) for name in SNAPSHOT}
            state |= {name: packed(state[name]) for name in PACKED}
            state["words"] = self.tokenizer.added
            state["seqs"] = {i: s for i, s in seqs.items() if s <= self._seq}
            try:
                self.index_cache.save(self._snapshot_key(), state)
            except OSError as exc:  # a full disk costs the next start time, never this one
                log.warning("index cache %s not written: %s", self.index_cache.folder, exc)
            self._unsaved = 0

    def rebuild(self) -> None:
        """Index every live entry from scratch (vectors come from the cache where they can)."""
        with self.lock:
            self._forget_results()
            _, self._seq = self.store.changed_since(0)
            entries = self.store.entries(live_only=True)
            self.entries = {e.id: e for e in entries}
            self._dated, self._excluded, self._topic_of = set(), ("", set()), {}
            self._verbatim, self._verbatim_of, self._states = {}, {}, {}
            self.tokenizer.add_words(_lexicon_words(entries))
            self.lexicon = LexiconIndex(self.concepts)
            self.bm25 = BM25Index()
            for entry in entries:
                self._index_text(entry, bm25=False)
            self.bm25.build({e.id: self._document(e) for e in entries})
            if self.dense is not None:
                self.dense.build(self._vectors(entries))
            self._build_solutions(entries)
            self.graph = KnowledgeGraph.from_store(self.store)
            self._load_cases()
            if not self._load_calibration():
                self.calibrate()

    def calibrate(self, retrievers: list[str] | None = None) -> Calibration:
        """Fit fusion weights, the confidence model and its line on this knowledge base's own
        probes (kb/search/calibrate.py says how); called at build and when enough changed.
        With `retrievers`, fit for those alone and only return the fit: what `kb eval
        --ablate` judges a retriever alone by (`judged_by`), never what the engine serves."""
        started = time.perf_counter()
        serving = retrievers is None
        with self.lock:
            retrievers = self.retrievers() if serving else retrievers
            texts = {i: self.texts(e) for i, e in self.entries.items()}
            positives, negatives = calibrate.probes(texts)
            slots = {c: s for c, s in self._case_slots().items() if s[0] in self.entries}
            told = {c: normalise(self.cases[c].customer) for c in slots}
            held, left = calibrate.case_probes(
                {c: slots[c][0] for c in slots if told[c]},
                {c for c in slots if told[c] and len(self.cases[c].entries) == 1})
            vectors = {}
            if self.dense is not None:
                probed = [texts[i][j] for i, j in positives + negatives]
                vectors = self._encode(probed + [told[c] for c in held + left], as_queries=True)

            def probe(text: str, leave_out=None, held_case=None) -> Retrieved:
                vector = vectors.get(text_hash(text)) if vectors else None
                tokens = self.tokenizer.tokens(text)
                return self._retrieve(text, tokens, vector, retrievers, leave_out=leave_out,
                                      held_case=held_case)  # fmt: skip

            found_pos = [(i, probe(texts[i][j], (i, j))) for i, j in positives]
            found_neg = [probe(texts[i][j], (i, None)) for i, j in negatives]
            found_cases = ([(slots[c][0], probe(told[c], held_case=slots[c])) for c in held],
                           [probe(told[c], (slots[c][0], None)) for c in left])  # fmt: skip
            current = self.calibration.weights if serving and self.calibration.fitted else None
            fitted = calibrate.fit(found_pos, found_neg, self._fuse, self.answer_precision,
                                   current, found_cases)  # fmt: skip
        fitted.seconds = round(time.perf_counter() - started, 3)
        fitted.entries = len(self.entries)
        fitted.embedder = self.vector_model
        fitted.seq = self._seq
        if not serving:
            return fitted
        self.calibration = fitted
        self._changed_since_fit = 0
        self.store.set_meta(calibrate.STORE_KEY, json.dumps(fitted.as_dict(), ensure_ascii=False))
        return fitted

    @contextmanager
    def judged_by(self, calibration: Calibration) -> Iterator[None]:
        """Searches inside are fused and judged by `calibration` (a retriever alone, fitted
        by `calibrate(retrievers)`), for evaluation: every search of the engine meanwhile is."""
        with self.lock:
            serving, self.calibration = self.calibration, calibration
            self._forget_results()
        try:
            yield
        finally:
            with self.lock:
                self.calibration = serving
                self._forget_results()

    def _load_calibration(self) -> bool:
        """Take the stored fit when it was made for this embedder, target and model version,
        and little has changed since (a restart does not refit)."""
        stored = calibrate.stored(self.store)
        if stored is None or (stored.embedder, stored.target, stored.version) != (
            self.vector_model, self.answer_precision, calibrate.MODEL_VERSION
        ):
            return False
        changed = len(self.store.changed_since(stored.seq)[0])
        if changed > self._refit_after():
            return False
        self.calibration, self._changed_since_fit = stored, changed
        return True

    def _refit_after(self) -> float:
        return max(REFIT_MIN, REFIT_SHARE * len(self.entries))

    def _load_cases(self, changed: dict[str, Case] | None = None, seq: int = 0) -> int:
        """Cases and their vectors (what each customer said), for the similar-case ranking and
        as evidence for search (`_index_cases`): all of them, or only the `changed` ones
        (`_changed_cases`, read at case `seq`; cases are never deleted), whose entries'
        vectors alone are replaced in the cases index. Rebuilding that index held every
        search up for 7 s per case written at 26k cases (10k entries), a diff takes 0.2 s.
        Returns how many cases were taken."""
        held = self.cases if changed is not None else {}
        if changed is None:
            seq = self.store.case_seq()  # read before the cases: later writes wait
            changed = self._changed_cases(held)
        self._case_seq = seq
        self.cases = held | changed
        touched = {c.entries[0] for c in changed.values()}
        touched |= {held[i].entries[0] for i in changed if i in held}  # a case moved entry
        if not held:
            self._case_tokens, self._case_vectors = {}, {}
        for case in changed.values():
            self.graph.set_case(case)
        texts = {i: normalise(c.customer) for i, c in changed.items()}
        self._case_tokens |= {i: set(self.tokenizer.tokens(t)) for i, t in texts.items()}
        if self.embedder is not None:
            vectors = self._encode(list(texts.values()))
            self._case_vectors |= {i: vectors[text_hash(t)] for i, t in texts.items()}
            # an exact index (below CASES_HNSW_MIN) is rebuilt whole: that is cheap, and keeps
            # each vector's hubness measured against all the others
            small = self.case_dense is None or self.case_dense.kind == "exact"
            self._index_cases(None if not held or small else touched)
        return len(changed)

    def _changed_cases(self, held: dict[str, Case] | None = None) -> dict[str, Case]:
        """The store's cases that differ from `held` (default: those indexed), in id order."""
        held = self.cases if held is None else held
        return {c.id: c for c in self.store.cases() if held.get(c.id) != c}

    def _index_cases(self, entry_ids: set[str] | None) -> None:
        """The cases retriever's index, built whole (None) or with `entry_ids`' case vectors
        replaced. Each case's customer message is one more way its first
        entry's scenario was asked, encoded as a query like a phrasing. A knowledge base
        with past cases holds real messages its phrasings do not: hybrid hit@1 when added
        (before `dense_texts`), seed cut to one phrasing 0.780 -> 0.807, to two 0.822 ->
        0.830, as a plain FAQ 0.741 -> 0.776 (benchmarks/transfer_eval.py). Scoring only the
        other retrievers' candidates gained about half of that (0.799, 0.821, 0.760): the
        cases find entries the others miss.
        Cases may outnumber phrasings, so HNSW takes over sooner than for them."""
        own: dict[str, list[str]] = {}  # entry -> its cases, in `_case_slots` order
        for case_id, (entry_id, _) in self._case_slots().items():
            if entry_ids is None or entry_id in entry_ids:
                own.setdefault(entry_id, []).append(case_id)
        texts = {c: normalise(self.cases[c].customer) for ids in own.values() for c in ids}
        vectors = self._encode(list(texts.values()), as_queries=True)
        stacks = {e: np.stack([vectors[text_hash(texts[c])] for c in ids])
                  for e, ids in own.items()}  # fmt: skip
        if entry_ids is None:
            self.case_dense = DenseIndex(self.embedder.dim, hnsw_min=CASES_HNSW_MIN)
            self.case_dense.build(stacks)
            return
        for entry_id in entry_ids:
            if entry_id in stacks:
                self.case_dense.set_entry(entry_id, stacks[entry_id])
            else:
                self.case_dense.remove_entry(entry_id)

    def _case_slots(self) -> dict[str, tuple[str, int]]:
        """case -> (its first entry, its place among that entry's vectors in `case_dense`)."""
        out, count = {}, Counter()
        for case_id, case in self.cases.items():
            out[case_id] = (case.entries[0], count[case.entries[0]])
            count[case.entries[0]] += 1
        return out

    def refresh(self, wait: bool = False) -> list[str]:
        """Re-index the entries saved since the last look; return their ids.

        One thread refreshes at a time; the others search the index as it is meanwhile
        rather than wait for an entry's encoding (seconds for a long one), unless they
        `wait`: an editor listing the cases just saved must see them, even while the
        change follower is indexing them. The calibration is refitted, and the snapshot
        rewritten, once enough has changed.
        """
        if not self._refreshing.acquire(blocking=wait):
            return []
        try:
            changed = self._catch_up()
            with self.lock:
                self._changed_since_fit += len(changed)
                if self._changed_since_fit > self._refit_after():
                    self.calibrate()
                self._unsaved += len(changed)
                if self._unsaved >= RESAVE_AFTER:
                    self.save_snapshot()
            return changed
        finally:
            self._refreshing.release()

    def _catch_up(self) -> list[str]:
        """Re-index the entries saved since the last look, and the cases if any changed."""
        with self.lock:
            changed, _ = self.store.changed_since(self._seq)
            fresh = [e for i in changed if (e := self.store.live_entry(i))]
            case_seq = self.store.case_seq()  # read before the cases: later writes wait
            cases = self._changed_cases() if case_seq != self._case_seq else {}
        self._cache_vectors(fresh)
        if cases and self.embedder is not None:  # encoded before the lock, as entries are
            told = [normalise(c.customer) for c in cases.values()]
            self._encode(told)
            self._encode(told, as_queries=True)
        with self.lock:
            if case_seq != self._case_seq:
                # cases are evidence the fit weighs: many new ones count toward a refit
                self._changed_since_fit += self._load_cases(cases, case_seq)
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

    def _build_solutions(self, entries: list[Entry]) -> None:
        texts = {e.id: t for e in entries if (t := solution_text(e, self.texts(e)))}
        vectors = {}
        if self.embedder is not None:
            by_hash = self._encode(list(texts.values()))
            vectors = {i: by_hash[text_hash(t)] for i, t in texts.items()}
        self.solutions.build({i: self.tokenizer.tokens(t) for i, t in texts.items()}, vectors)

    def _reindex(self, entry: Entry | None, entry_id: str) -> None:
        self._excluded = ("", set())
        if entry is None:
            self.entries.pop(entry_id, None)
            self._dated.discard(entry_id)
            self._topic_of.pop(entry_id, None)
            self._phrase_tokens.pop(entry_id, None)
            self._states.pop(entry_id, None)
            self._forget_phrasings(entry_id)
            self.lexicon.remove_entry(entry_id)
            self.bm25.remove_entry(entry_id)
            self.solutions.remove_entry(entry_id)
            if self.dense is not None:
                self.dense.remove_entry(entry_id)
            return
        self.entries[entry.id] = entry
        self.tokenizer.add_words(_lexicon_words([entry]))
        self._index_text(entry)
        text = solution_text(entry, self.texts(entry))
        vector = None
        if self.dense is not None:
            self.dense.set_entry(entry.id, self._vectors([entry])[entry.id])
            vector = self._encode([text])[text_hash(text)] if text else None
        self.solutions.set_entry(entry.id, self.tokenizer.tokens(text) if text else [], vector)

    def _index_text(self, entry: Entry, bm25: bool = True) -> None:
        self.indexed += 1
        self._topic_of[entry.id] = entry.topic
        if entry.valid_from or entry.valid_to:
            self._dated.add(entry.id)
        else:
            self._dated.discard(entry.id)
        self.lexicon.set_entry(entry, self.tokenizer.known)
        if bm25:
            self.bm25.set_entry(entry.id, self._document(entry))
        texts = self.texts(entry)
        self._phrase_tokens[entry.id] = [set(self.tokenizer.tokens(t)) for t in texts]
        said = [stated(self.tokenizer.marked(t)) for t in texts]
        self._states[entry.id] = stated_by_most(said) | said[0]  # and what its title says
        self._forget_phrasings(entry.id)
        self._verbatim_of[entry.id] = [normalise(t) for t in entry.questions]
        for text in self._verbatim_of[entry.id]:
            self._verbatim.setdefault(text, set()).add(entry.id)

    def _forget_phrasings(self, entry_id: str) -> None:
        for text in self._verbatim_of.pop(entry_id, []):
            holders = self._verbatim.get(text, set())
            holders.discard(entry_id)
            if not holders:
                self._verbatim.pop(text, None)

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

    @staticmethod
    def dense_texts(entry: Entry) -> list[str]:
        """What each of `texts(entry)` is encoded as: the title with the lexicon's keywords the
        title lacks (修改收货地址（修改地址、拦截）), then each phrasing after that head, so
        that every vector carries the scenario it belongs to. Siblings' alike phrasings
        (地址填错了能改吗 under 未发货 and under 已发货) then differ where a customer's message
        does. Dense alone, hit@1: seed cut to two phrasings 0.666 -> 0.764, to one 0.636 ->
        0.738, as a plain FAQ 0.515 -> 0.709; the seed corpus 0.898 -> 0.933 (title alone:
        0.709, 0.668, 0.515, 0.938)."""
        texts = Engine.texts(entry)
        title = texts[0]
        words = dict.fromkeys(w for k in entry.keywords if (w := normalise(k)) not in title)
        head = f"{title}（{'、'.join(words)}）" if words else title
        return [head, *(f"{head}：{t}" for t in texts[1:])]

    def _vectors(self, entries: Iterable[Entry]) -> dict[str, np.ndarray]:
        """Each entry's vectors (title and phrasings), from the cache where it has them."""
        texts = {e.id: self.dense_texts(e) for e in entries}
        vectors = self._encode([t for ts in texts.values() for t in ts], as_queries=True)
        return {i: np.stack([vectors[text_hash(t)] for t in ts]) for i, ts in texts.items()}

    def _cache_vectors(self, entries: list[Entry]) -> None:
        """Encode what the cache lacks for `entries` before the lock is taken to index them,
        so a long entry's encoding (seconds) does not hold every search up."""
        if self.dense is not None and entries:
            self._vectors(entries)
            self._encode([t for e in entries if (t := solution_text(e, self.texts(e)))])

    def _encode(self, texts: list[str], as_queries: bool = False) -> dict[str, np.ndarray]:
        """text hash -> vector, encoding only texts the store has not cached.

        Phrasings are customer questions, matched against customer questions: e5 is trained
        for that symmetric task with the query prefix on both sides, and a phrasing encoded
        as a query is then exactly the vector a customer typing it gets, which is what lets
        the calibration probe with held-out phrasings for free. Cases are both: passages for
        the similar-case ranking, queries for the cases retriever.
        """
        if self.embedder is None:
            raise ConfigError("this engine has no embedder (embedder = none)", "embedder")
        encode = self.embedder.encode_queries if as_queries else self.embedder.encode_passages
        model = self.vector_model if as_queries else self.embedder.name
        wanted = list(dict.fromkeys(texts))
        with self.lock:  # the store's connection is shared; the encoder runs outside the lock
            cached = self.store.embeddings(model, [text_hash(t) for t in wanted])
        missing = [t for t in wanted if text_hash(t) not in cached]
        if missing:
            fresh = {}
            for i in range(0, len(missing), 64):
                batch = missing[i : i + 64]
                for text, vector in zip(batch, encode(batch), strict=True):
                    fresh[text_hash(text)] = np.asarray(vector, dtype=np.float32).tobytes()
            with self.lock:
                self.encoded += len(missing)
                self.store.put_embeddings(model, fresh)
            cached.update(fresh)
        return {h: np.frombuffer(v, dtype=np.float32) for h, v in cached.items()}

    @property
    def vector_model(self) -> str:
        """The cache key of the phrasings' vectors: the model, and that they are queries."""
        return phrasings_key(self.embedder.name) if self.embedder else "none"

    def vectors(self, texts: list[str], as_queries: bool = False) -> dict[str, np.ndarray]:
        """Unit vectors of normalised texts, passages (gap clustering) or queries (words
        compared with words: kb.authoring.keywords), through the store's cache; the encoder
        runs outside the lock (`_encode`), so searches go on meanwhile."""
        by_hash = self._encode(texts, as_queries)
        out = {}
        for t in texts:
            v = by_hash[text_hash(t)]
            out[t] = v / (np.linalg.norm(v) or 1.0)
        return out

    def query_vector(self, query: str) -> np.ndarray | None:
        """The query vector dense search uses (cached: free after a search), None without one."""
        norm = self.read(query)
        return self._meant_vector(norm) if self.embedder is not None and norm else None

    def read(self, query: str) -> str:
        """A customer message as search reads it: normalised, and pinyin typed with the input
        method off spelt in this knowledge base's words (kb/search/typed_pinyin.py)."""
        norm = normalise(query)
        held = self.bm25.frequencies
        runs = typed_pinyin.candidates(norm, held)
        if not runs:
            return norm
        with self.lock:
            built = self._pinyin if self._pinyin[0] == self._generation else None
            if built is None:
                generation, terms = self._generation, dict(held)
        if built is None:  # the first such message after an edit builds the lexicon, without
            # holding searches up: 0.1 s for 80k words (1.6 s the first time, spelling them)
            built = self._pinyin = (generation, typed_pinyin.lexicon(terms))
        return typed_pinyin.read(norm, runs, built[1])

    def _meant_vector(self, norm: str) -> np.ndarray:
        """The vector of a normalised message as meant: input-method typos put right first
        (homophones.corrected), since one wrong character moves the whole vector."""
        words = self.tokenizer.segment(norm)
        meant = homophones.corrected(words, self.bm25.frequencies, self.tokenizer.known)
        return self._embed_query(meant)

    def _encode_query(self, text: str) -> np.ndarray:
        if self.embedder is None:
            raise ConfigError("this engine has no embedder (embedder = none)", "embedder")
        return self.embedder.encode_queries([text])[0]

    # searching --------------------------------------------------------------

    def search(
        self,
        query: str,
        top: int = TOP,
        topic: list[str] | None = None,
        retrievers: Iterable[str] = RETRIEVERS,
        cache: bool = True,  # False: neither read nor fill the result cache (benchmarks)
    ) -> SearchResult:
        """Rank live entries for a customer message; `topic` is a list of topic ids to keep."""
        self.refresh()
        retrievers = [r for r in retrievers if r in self.retrievers()]
        norm = self.read(query)
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
        self._links.clear()
        self._generation += 1

    def _search(self, query, norm, top, topic, retrievers) -> SearchResult:
        vector = self._meant_vector(norm) if set(DENSE) & set(retrievers) and norm else None
        with self.lock:
            excluded = self._out_of_date()
            allowed = None
            if topic is not None:
                allowed = {i for i, t in self._topic_of.items() if t in topic} - excluded
            tokens = self.tokenizer.tokens(norm) if norm else []
            tokens += homophones.corrections(tokens, self.bm25.frequencies)  # 地止 -> 地址
            found = self._retrieve(norm, tokens, vector, retrievers, allowed, excluded)
            fused = found.fused = self._fuse(found.lists)
            # confidence orders the results: judge a few more than asked, then cut
            # (a retriever weighted 0, such as an unused solution field, proposes no hit)
            order = sorted((i for i in fused if fused[i] > 0),
                           key=lambda i: (-fused[i], i))[: max(top, JUDGED)]  # fmt: skip
            hits = [self._hit(entry_id, fused[entry_id], found, set(tokens))
                    for entry_id in order]  # fmt: skip
            return self._judge(query, norm, hits, max(top, 1), found, vector, set(tokens))

    def _out_of_date(self) -> set[str]:
        """Entries outside their validity window today; kept until the day or an entry changes
        (a few hundred dated entries cost a quarter of a millisecond to check per query)."""
        today = dt.date.today().isoformat()
        if self._excluded[0] != today:
            self._excluded = (today, {
                i for i in self._dated
                if not (self.entries[i].valid_from or "") <= today
                <= (self.entries[i].valid_to or "9")
            })  # fmt: skip
        return self._excluded[1]

    def _retrieve(
        self,
        norm: str,
        tokens: list[str],
        vector: np.ndarray | None,
        retrievers: Iterable[str],
        allowed: set[str] | None = None,
        excluded: set[str] = frozenset(),
        leave_out: tuple[str, int | None] | None = None,
        held_case: tuple[str, int] | None = None,
    ) -> Retrieved:
        """Each retriever's ranked list; `leave_out` (entry, text index or None) hides one
        phrasing or one whole entry (its cases too), `held_case` (entry, slot: `_case_slots`)
        one past case, as the calibration probes need."""
        found = Retrieved(lists={}, idf_mass=0.0)
        if "bm25" in retrievers and tokens:
            terms = [*tokens, *("@" + c for c in self.concepts.find(norm))]
            ranked = self.bm25.search(terms, DEPTH + 1, allowed)
            if leave_out:
                entry_id, index = leave_out
                ranked = [(i, v) for i, v in ranked if i != entry_id]
                if index is not None:
                    held = self.tokenizer.tokens(self.texts(self.entries[entry_id])[index])
                    own = self.bm25.score_without(entry_id, terms, held)
                    if own > 0:
                        ranked = sorted([*ranked, (entry_id, own)], key=lambda p: -p[1])
            found.lists["bm25"] = ranked[:DEPTH]
            found.idf_mass = self.bm25.idf_mass(terms)
        if "dense" in retrievers and vector is not None and self.dense is not None:
            hits = self.dense.search(vector, DEPTH, allowed, skip=leave_out)
            found.dense = {h.entry_id: h for h in hits}
            found.lists["dense"] = [(h.entry_id, h.score) for h in hits]
        if "lexicon" in retrievers:
            # alone it scans every entry it recognises; beside others it scores their lists
            pool = {i for ranked in found.lists.values() for i, _ in ranked} or None
            hits = self.lexicon.search(norm, allowed, pool, set(tokens))
            if leave_out and leave_out[1] is None:
                hits = [h for h in hits if h.entry_id != leave_out[0]]
            found.lexicon = {h.entry_id: h for h in hits[:DEPTH]}
            found.lists["lexicon"] = [(h.entry_id, h.score) for h in hits[:DEPTH]]
        pool = {i for ranked in found.lists.values() for i, _ in ranked}
        found.lists |= self.solutions.score(tokens, vector, list(retrievers), pool)
        if "cases" in retrievers and vector is not None and self.case_dense is not None:
            # a held-out phrasing keeps its entry's cases; a left-out entry loses them too
            whole = leave_out if leave_out and leave_out[1] is None else None
            hits = self.case_dense.search(vector, DEPTH, allowed, skip=whole or held_case)
            found.lists["cases"] = [(h.entry_id, h.score) for h in hits
                                    if h.entry_id in self.entries]  # fmt: skip
        if excluded:
            found.lists = {n: [(i, v) for i, v in r if i not in excluded]
                           for n, r in found.lists.items()}  # fmt: skip
        return found

    def _fuse(self, lists: dict[str, list[tuple[str, float]]], weights=None) -> dict[str, float]:
        """The candidate pool's order; the calibrated model then orders the judged top."""
        weights = weights or self.calibration.weights
        if self.fusion == "rrf":
            return rrf({n: [i for i, _ in r] for n, r in lists.items()}, weights, RRF_K)
        return weighted_sum(lists, weights, DEPTH)

    def _hit(self, entry_id: str, score: float, found: Retrieved, tokens: set[str]) -> Hit:
        entry = self.entries[entry_id]
        lex, dense = found.lexicon.get(entry_id), found.dense.get(entry_id)
        return Hit(
            entry=entry,
            score=score,
            keywords=lex.keywords if lex else [],
            terms=lex.terms if lex else [],
            phrasing=self._phrasing(entry, dense.text_index if dense else None, tokens),
            ranks={n: found.rank(n, entry_id) for n in found.lists},
            scores={n: v for n in found.lists if (v := found.score(n, entry_id)) is not None},
        )

    def preview(self, draft: Entry, query: str, top: int = 10) -> SearchResult:
        """Rank a customer message as if `draft` were live: an editor's test before saving.

        The draft takes its entry's place in every index for this one search, then the
        live entry is put back; the lock keeps every other search out meanwhile (the
        draft's phrasings are encoded before, without it).
        """
        self.refresh()
        norm = self.read(query)
        self._cache_vectors([draft])
        with self.lock:
            live = self.entries.get(draft.id)
            self._reindex(draft, draft.id)
            try:
                return self._search(query, norm, top, None, list(self.retrievers()))
            finally:
                self._reindex(live, draft.id)

    def retrievers(self) -> list[str]:
        """The retrievers this engine runs: the dense ones only when it has an embedder, the
        cases one only when there are cases."""
        return [r for r in RETRIEVERS if r not in DENSE or self.dense is not None
                if r != "cases" or self.case_dense]  # fmt: skip

    def _phrasing(self, entry: Entry, text_index: int | None, tokens: set[str]) -> str:
        """The dense retriever's closest phrasing, else the one sharing most tokens."""
        texts = self.texts(entry)
        if text_index is None:
            overlaps = [len(tokens & t) for t in self._phrase_tokens[entry.id]]
            text_index = overlaps.index(max(overlaps))
        return texts[text_index]

    def _judge(self, query, norm, hits: list[Hit], top: int, found, vector, tokens) -> SearchResult:
        """Attach confidences, order by them and keep `top`, call the first confident or not,
        name rivals and cases. Confidence is the calibrated model's, the line the fitted one."""
        verbatim = self._verbatim.get(norm, set())
        for hit in hits:
            hit.confidence = self.calibration.confidence(features(hit.entry.id, found))
            if verbatim == {hit.entry.id}:  # the editor wrote these very words for this entry
                hit.confidence = max(hit.confidence, VERBATIM)
        # only a model fitted on this knowledge base may overrule its fused order
        promote = PROMOTE if self.calibration.fitted else math.inf
        # a scenario saying the opposite of what the message says happened (未发货 against
        # 已经发货了) follows the others and is never confident
        said = stated(self.tokenizer.marked(norm)) if norm else {}
        for hit in hits if said else ():
            hit.contradicts = contradictions(said, self._states.get(hit.entry.id, {}))
        hits = confidence_order([h for h in hits if not h.contradicts], promote,
                                [h for h in hits if h.contradicts])[:top]  # fmt: skip
        named = len(norm.replace(" ", "")) >= MIN_CHARS or bool(verbatim)
        for hit in hits:
            hit.confident = (named and hit.confidence >= self.calibration.line
                             and not hit.contradicts)
        confident = bool(hits) and hits[0].confident
        ambiguous = []
        if hits:  # rivals by the entries' own phrasings alone (the solution field and past
            # cases rank, not this), and by rank: a rival the retrievers place next to the top
            words = {n: [i for i, _ in r] for n, r in found.lists.items() if n in PHRASINGS}
            said = rrf(words, self.calibration.weights, RRF_K)
            top = said.get(hits[0].entry.id, 0.0)
            ambiguous = [h.entry.id for h in hits[1:]
                         if top > 0 and said.get(h.entry.id, 0.0) >= top * AMBIGUOUS]  # fmt: skip
        result = SearchResult(query, norm, hits, confident, ambiguous)
        if hits:
            result.alternatives = self._alternatives(hits[0].entry, ambiguous)
            weighted = [CaseAnchor(h.entry.id, h.score / hits[0].score, h.entry.title)
                        for h in hits[:3]]  # fmt: skip
            result.cases = self.similar_cases(weighted, vector, tokens, CASES)
        return result

    def _alternatives(self, top: Entry, ambiguous: list[str]) -> list[Alternative]:
        """Close rivals that are graph neighbours of the top entry, with the words between them."""
        out = []
        near = self.graph.related(top.id) if ambiguous else set()
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
        weighted: list[CaseAnchor],
        vector: np.ndarray | None,
        tokens: set[str],
        k: int,
    ) -> list[CaseHit]:
        """Past cases near the weighted entries, most similar to the query first."""
        if not self.cases:
            return []

        def similarity(ids: list[str]) -> dict[str, float]:
            if vector is not None and self._case_vectors:
                return cosine_similarity(vector, {i: self._case_vectors[i] for i in ids})
            if tokens:
                return token_similarity(tokens, {i: self._case_tokens[i] for i in ids})
            return {}

        return rank_cases(self.cases, weighted, self._case_links, similarity, k)

    def _case_links(self, anchor: CaseAnchor) -> list[tuple[str, float, str]]:
        """`links` of the anchor's entry, kept until anything is re-indexed: the graph walk
        cost most of the similar-case attachment (0.4 of 0.7 ms at 26k cases)."""
        key = (anchor.entry_id, anchor.title)  # a previewed draft may retitle its entry
        if key not in self._links:
            self._links[key] = links(self.graph, anchor.entry_id, anchor.title)
        return self._links[key]

    def cases_for_entry(self, entry_id: str, query: str | None = None, k: int = 5) -> list[CaseHit]:
        """Cases worth reading for one entry, optionally ranked against a customer message;
        every case saved before the call is among them (the refresh is waited for)."""
        self.refresh(wait=True)
        norm = self.read(query) if query else ""
        vector = self._meant_vector(norm) if norm and self.embedder is not None else None
        with self.lock:  # the engine's connection is shared: one thread at a time
            entry = self.store.get_entry(entry_id)
            tokens = set(self.tokenizer.tokens(norm)) if norm else set()
            return self.similar_cases([CaseAnchor(entry.id, 1.0, entry.title)], vector, tokens, k)


# What a snapshot holds: every index built from the store (the tokenizer's added words
# too); not the calibration, which the store keeps, nor the caches of queries and results.
SNAPSHOT = ("entries", "_dated", "_topic_of", "_phrase_tokens", "_verbatim", "_verbatim_of",
            "_states", "lexicon", "bm25", "dense", "solutions", "graph", "_seq", "cases",
            "_case_seq", "_case_vectors", "_case_tokens", "case_dense")  # fmt: skip
# Held per entry and read a few entries per search: saved as PackedDicts (kb/search/packed.py),
# unpickled entry by entry as searches reach them.
PACKED = ("entries", "_phrase_tokens", "_verbatim_of", "_states")
# Rewrite the snapshot once this many entries were re-indexed since it was written: a start
# applies each at ~2 ms (tokens, vectors, one HNSW insert), a rewrite at 100k entries
# holds searches up for a few seconds.
RESAVE_AFTER = 1000
# A server looks at the change counter this often when no change was announced (SQLite
# announces none; a PostgreSQL listener may be reconnecting): an edit saved on another
# replica is searchable here within about this long even then.
FOLLOW_EVERY = 1.0
# Refit the calibration once this many entries changed (or this share of them): an edit
# moves the fitted model little, and a fit costs a few hundred searches.
REFIT_MIN, REFIT_SHARE = 50, 0.1
VERBATIM = 0.99  # confidence of one entry's own phrasing, typed word for word
# A message this short names no scenario (谁, 啊): never an answer on its own, however
# well its one word matches (on one-phrasing bq_dev 谁 matched 我的钱没了 找谁 at 0.999).
MIN_CHARS = 2
PROMOTE = 0.2  # how much surer the model must be to put a hit above the fused order
JUDGED = calibrate.CANDIDATES  # at least this many are judged and ordered before the cut
# a rival within 15% of the top's rank-fused phrasing score is a real alternative: with
# RRF_K 5, second in every list where the top is first scores 0.86 of it
AMBIGUOUS = 0.85
CASES = 3  # similar cases attached to a search result


def confidence_order(hits: list[Hit], promote: float = PROMOTE, demoted=()) -> list[Hit]:
    """Fused order, except that a hit the model is surer of by more than `promote` moves up;
    the `demoted` (ordered alike) follow every other hit; then each confidence is capped by
    the one above, so the list reads in the order of the confidence it shows. The fused
    order is the better ranker when the model wavers (on the seed set, ordering by
    confidence alone lost 1.2 points of hit@1); the model is the better judge when it is
    clearly surer (扬言投诉12315 at 0.95 over 投诉客服 at 0.71). Keeping the fused order
    always would gain 0.2-0.6 points of hit@1 on the transfer sets, but cap away what the
    model is surest of, and with it a vague message's suggestions.

    >>> from types import SimpleNamespace as H
    >>> order = confidence_order([H(id="a", confidence=0.71), H(id="b", confidence=0.95),
    ...                           H(id="c", confidence=0.8)])
    >>> [(h.id, h.confidence) for h in order]
    [('b', 0.95), ('a', 0.71), ('c', 0.71)]
    >>> order = confidence_order([H(id="a", confidence=0.3)], demoted=[H(id="b", confidence=0.9)])
    >>> [(h.id, h.confidence) for h in order]
    [('a', 0.3), ('b', 0.3)]
    """
    ordered: list = []
    for group in (hits, demoted):
        placed: list = []
        for hit in group:
            above = next((k for k, h in enumerate(placed)
                          if h.confidence < hit.confidence - promote), len(placed))  # fmt: skip
            placed.insert(above, hit)
        ordered += placed
    for upper, lower in itertools.pairwise(ordered):
        lower.confidence = min(lower.confidence, upper.confidence)
    return ordered


def _first_own_keyword(entry: Entry, other: Entry) -> str:
    """The entry's first keyword (editors list the defining one first) that `other` lacks."""
    theirs = {keyword_node(w) for k, syns in other.keywords.items() for w in (k, *syns)}
    return next((k for k in entry.keywords if keyword_node(k) not in theirs), "")


def _lexicon_words(entries: Iterable[Entry]) -> list[str]:
    return [w for e in entries for k, syns in e.keywords.items() for w in (k, *syns)]
