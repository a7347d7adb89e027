"""Suggested keywords: the words an entry's customers use that its lexicon lacks.

The learning loop (kb.authoring.suggestions) keeps every message an outcome tied to an
entry. Their phrasings alone teach the engine little: on the seed corpus cut to two
phrasings per entry (one split of benchmarks/learning_bench.py), giving back the corpus's
own keywords lifted the held-out half's hit@1 by +0.035, adding every labelled message of
the other half as a phrasing by +0.004: the lexicon (问题识别词库) is what a young
knowledge base lacks. A word found in at least MIN_MESSAGES of an entry's learnt
phrasings, rare in the knowledge base (BM25 idf above IDF_MIN) and in at least OWN_SHARE
times as many of them as of other entries' is suggested. Accepting all of them after the
learning loop's phrasings lifts the other half by +0.019 against +0.016 without them
(benchmarks/learning_bench.py, mean of three splits). Many are junk all the same (超过,
消息, 行不行), so an editor accepts each (a new version of the entry) or rejects it
(remembered, never suggested again).

A learnt word is often another way to say a keyword the entry has (发痒 for 过敏, 拒签 for
拒收): each suggestion proposes the keyword whose words are closest to it (e5 query
vectors, cosine at least SYNONYM_MIN), and the editor adds it as that keyword's synonym or
as a keyword of its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kb.authoring.editing import save
from kb.errors import InvalidParameter
from kb.model import Entry
from kb.store import Store
from kb.text import fold, normalise

if TYPE_CHECKING:
    from kb.search.engine import Engine

MIN_MESSAGES = 2  # one message's word is that customer's, not the scenario's
IDF_MIN = 2.0  # a word most entries' texts hold (问题, 怎么) tells no entry apart
OWN_SHARE = 2  # in at least twice as many of this entry's messages as of all others'
SHOWN = 3  # the lift above was measured accepting the top three
EXAMPLES = 3
# e5-small cosines of Chinese words run high: 发痒/过敏 0.93, 拒签/拒收 0.95, 海关/清关 0.91 and
# 塑封/包装 0.90 mean the same; 拒签/退款 0.88, 消息/通知 0.89, 超过/期限 0.88 do not
SYNONYM_MIN = 0.9


@dataclass
class SuggestedKeyword:
    word: str
    messages: int  # the entry's learnt phrasings that hold the word
    elsewhere: int  # other entries' learnt phrasings that hold it (as a word or inside one)
    examples: list[str]
    synonym_of: str | None = None  # the entry's keyword it most likely says another way


def _words(engine: Engine, text: str) -> set[str]:
    """The words of two characters or more (no number) in a text."""
    return {w for w in engine.tokenizer.words(text) if len(w) >= 2 and not w.isdigit()}


def distinctive(engine: Engine, texts: list[str]) -> list[str]:
    """The words of `texts` that set them apart from the knowledge base, the most telling
    first: how many texts hold each, times its rarity there (BM25 idf)."""
    counts = Counter(w for t in texts for w in _words(engine, t))
    return sorted(counts, key=lambda w: (-counts[w] * engine.bm25.idf(w), w))


def suggested_keywords(store: Store, engine: Engine, entry_ids: Iterable[str] | None = None
                       ) -> dict[str, list[SuggestedKeyword]]:  # fmt: skip
    """For each entry (every entry with learnt phrasings when None), the words its learnt
    phrasings (pending or accepted) share that its lexicon lacks and no editor has decided
    on, the most telling first (at most SHOWN). EntryNotFound for an unknown entry.

    Only the entry's own phrasings are split into words; how many of other entries' hold a
    candidate is counted by the store, so an entry's page does not read every suggestion.
    """
    learnt: dict[str, list[str]] = {}
    if entry_ids is None:
        for s in store.suggestions(None, None):
            if s.status != "rejected":
                learnt.setdefault(s.entry_id, []).append(s.text)
    else:
        learnt = {i: [s.text for s in store.suggestions(i, None) if s.status != "rejected"]
                  for i in entry_ids}  # fmt: skip
    out = {}
    for entry_id in sorted(learnt):
        entry, own = store.get_entry(entry_id), learnt[entry_id]
        with engine.lock:  # the tokenizer and BM25 statistics change under an index update
            words = [(t, _words(engine, t)) for t in own]
            counts = Counter(w for _, held in words for w in held)
            idf = {w: engine.bm25.idf(w) for w in counts}
        have = [fold(w) for k, synonyms in entry.keywords.items() for w in (k, *synonyms)]
        decided = store.keyword_verdicts(entry_id)
        candidates = [w for w, n in counts.items()
                      if n >= MIN_MESSAGES and idf[w] > IDF_MIN
                      and w not in decided and not any(fold(w) in h for h in have)]  # fmt: skip
        elsewhere = store.learnt_elsewhere(entry_id, candidates)
        found = [SuggestedKeyword(w, counts[w], elsewhere[w],
                                  [t for t, held in words if w in held][:EXAMPLES])
                 for w in candidates if counts[w] >= OWN_SHARE * elsewhere[w]]  # fmt: skip
        found.sort(key=lambda k: (-k.messages * idf[k.word], k.word))
        out[entry_id] = found[:SHOWN]
        near = synonyms_for(engine, entry, [k.word for k in out[entry_id]])
        for k in out[entry_id]:
            k.synonym_of = near.get(k.word)
    return out


def synonyms_for(engine: Engine, entry: Entry, words: list[str]) -> dict[str, str]:
    """For each word, the entry's keyword whose words (it and its synonyms) come closest to
    it, if one comes within SYNONYM_MIN (none without an embedder); one encoding call."""
    if engine.embedder is None or not entry.keywords or not words:
        return {}
    terms = {normalise(t): k for k, synonyms in entry.keywords.items() for t in (k, *synonyms)}
    vectors = engine.vectors([*map(normalise, words), *terms], as_queries=True)
    out = {}
    for word in words:
        mine = vectors[normalise(word)]
        closest = max(terms, key=lambda t: float(vectors[t] @ mine))
        if float(vectors[closest] @ mine) >= SYNONYM_MIN:
            out[word] = terms[closest]
    return out


def accept_keyword(store: Store, entry_id: str, word: str, author: str,
                   base_version: int | None = None,
                   synonym_of: str | None = None) -> Entry:  # fmt: skip
    """Add `word` to the entry's lexicon as a new version by `author`: a keyword of its own
    (no synonyms yet), or one more synonym of the keyword `synonym_of`; and remember the
    verdict: both, or neither. VersionConflict if the entry moved on since `base_version`;
    SuggestionDecided if the word was decided before; InvalidParameter if the lexicon holds
    it already (as a keyword or a synonym, whose place it would take) or `synonym_of` is not
    one of the entry's keywords."""
    with store.transaction():
        entry = store.get_entry(entry_id)
        if any(fold(word) == fold(w) for k, synonyms in entry.keywords.items()
               for w in (k, *synonyms)):  # fmt: skip
            raise InvalidParameter(f"{word!r} is already in the entry's lexicon", "word")
        base = entry.version if base_version is None else base_version
        if synonym_of is None:
            keywords, note = {**entry.keywords, word: []}, f"采纳建议关键词：{word}"
        elif synonym_of in entry.keywords:
            keywords = {**entry.keywords, synonym_of: [*entry.keywords[synonym_of], word]}
            note = f"采纳建议关键词：{word}（作为「{synonym_of}」的同义词）"
        else:
            raise InvalidParameter(f"{synonym_of!r} is not a keyword of this entry", "synonym_of")
        data = entry.content() | {"keywords": keywords}
        saved, _ = save(store, data, author, base, note=note)
        store.decide_keyword(entry_id, word, "accepted", author, saved.version)
        return saved


def reject_keyword(store: Store, entry_id: str, word: str, author: str) -> None:
    """Reject `word` for the entry: remembered, so it is never suggested again."""
    with store.transaction():
        store.get_entry(entry_id)
        store.decide_keyword(entry_id, word, "rejected", author)

