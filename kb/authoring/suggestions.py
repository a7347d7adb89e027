"""The learning loop: outcomes are labels, and labels become suggested phrasings.

Each time a human answers a message with entry X after the bot failed, that message
is a phrasing of X the engine missed. Where labels come from:

- a takeover that names the entry the human used (`used_entry_id`): strong, for it (an
  entry the bot never offered is the engine's worst miss: kept, and counted as `missed`);
- an agent's 已解决 on an entry in the sidebar (whichever card it was): strong;
- an agent's 不适用 in the sidebar naming the entry that did fit: strong, for that one;
- a bot's confident answer the customer was helped by (resolved): weak, for its entry;
- a customer who picked an entry from the bot's list of possible matches (第二个) and was
  helped: weak, for the message that led to the list (a list of a topic's scenarios,
  offered for a message that only named the topic, teaches nothing).

A message is masked (order and tracking numbers, phones, names, addresses) and
normalised before anything is kept, so no customer's data reaches an entry. Messages
close to a phrasing the entry holds teach nothing and are dropped; messages close to
each other collapse into one suggestion, counted per recommendation. An editor
accepts (a new version of the entry) or rejects (remembered, never suggested again);
a setting lets strong labels seen often enough be accepted without an editor.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kb.authoring.editing import save
from kb.errors import SuggestionDecided, VersionConflict
from kb.model import Entry, Outcome, Recommendation, Suggestion
from kb.store import Store
from kb.text import bare, char_ngrams, mask, normalise

if TYPE_CHECKING:
    from kb.search.engine import Engine

PHRASING_MIN = 4  # characters: 退货 alone is a keyword, not a way of asking
PHRASING_MAX = 60  # characters: a longer paste is a conversation, not a phrasing
NEAR = 0.7  # character-bigram Jaccard from which two phrasings are the same one
AUTO_AUTHOR = "自动采纳"  # who accepted a suggestion when the auto-accept setting did
RANK_MISSED = 11  # the rank given an entry that is not among the top ten for its message
@dataclass
class Label:
    """One message that belongs to an entry, as learnt from one recommendation's outcome."""

    entry_id: str
    text: str  # masked and normalised
    strength: str  # strong | weak
    source: str  # the recommendation id: each counts once
    missed: bool = False  # the bot never offered the entry for this message


def phrasing(message: str) -> str | None:
    """The message as a phrasing an entry may hold: masked, normalised; None if it is
    too short or too long to be one.

    >>> phrasing("訂單3301928475521還沒發貨，電話13812345678？")
    '订单 还没发货 电话'
    >>> phrasing("退货"), phrasing("在吗"), phrasing("收件人：王小明 能改地址吗")
    (None, None, '收件人 能改地址吗')
    """
    text = normalise(mask(message))
    size = len(text.replace(" ", ""))
    return text if PHRASING_MIN <= size <= PHRASING_MAX else None


def teaches(outcome: Outcome) -> bool:
    """Whether an outcome may be a label at all (the cheap test before reading its message)."""
    return outcome.outcome == "resolved" or (outcome.outcome == "takeover"
                                             and bool(outcome.used_entry_id))  # fmt: skip


def label(rec: Recommendation, outcome: Outcome) -> Label | None:
    """What one outcome says about which entry its message belongs to, if anything.

    A handoff's entry was never tried on the customer, and an abandoned chat says nothing.
    """
    text = phrasing(rec.query)
    if text is None:
        return None
    if outcome.outcome == "takeover" and outcome.used_entry_id:
        missed = rec.channel != "sidebar" and outcome.used_entry_id not in rec.candidates
        return Label(outcome.used_entry_id, text, "strong", rec.id, missed)
    if outcome.outcome == "resolved" and rec.entry_id:
        if rec.channel == "sidebar":
            return Label(rec.entry_id, text, "strong", rec.id)
        if rec.decision == "answer" and rec.reason != "chosen_by_customer":
            # a reply picking from a list (第二个吧) names the entry, not the need
            return Label(rec.entry_id, text, "weak", rec.id)
    return None


def picked(store: Store, rec: Recommendation, outcome: Outcome) -> Label | None:
    """What a customer's pick from a list says, once it helped: the message the list was
    offered for belongs to the entry picked."""
    if outcome.outcome != "resolved" or rec.reason != "chosen_by_customer" or not rec.session_id:
        return None
    earlier = [r for r in store.session_recommendations(rec.session_id) if r.id != rec.id
               and r.created_at <= rec.created_at]  # fmt: skip
    listed = earlier[-1] if earlier else None
    if listed is None or listed.decision != "suggest" or listed.reason == "which_scenario":
        return None
    text = phrasing(listed.query)
    return Label(rec.entry_id, text, "weak", rec.id) if text and rec.entry_id else None


def near(a: str, b: str) -> bool:
    """Whether two phrasings say the same thing in nearly the same words.

    >>> near("退货运费谁出", "退货的运费谁出啊"), near("怎么退货", "怎么换货")
    (True, False)
    """
    return _Phrasing(a).near(_Phrasing(b))


class _Phrasing:
    """A phrasing's comparison key and character bigrams, computed once per batch."""

    def __init__(self, text: str):
        self.key = bare(text)
        self.grams = set(char_ngrams(self.key)) or {self.key}

    def near(self, other: _Phrasing) -> bool:
        if self.key == other.key:
            return True
        return len(self.grams & other.grams) / len(self.grams | other.grams) >= NEAR


@dataclass
class _Known:
    """One entry's phrasings and suggestions as a batch of labels finds and grows them."""

    questions: list[_Phrasing]
    suggestions: list[tuple[_Phrasing, Suggestion]]


def learn(store: Store, pairs: list[tuple[Recommendation, Outcome]], auto_accept: int = 0
          ) -> list[Suggestion]:  # fmt: skip
    """Count the labels of freshly recorded outcomes into suggestions, in one transaction;
    with `auto_accept` N > 0, accept those with N strong labels. Returns the suggestions
    the labels went to."""
    touched: dict[int, Suggestion] = {}
    known: dict[str, _Known] = {}
    with store.transaction():
        for rec, outcome in pairs:
            found = label(rec, outcome) or picked(store, rec, outcome)
            if found is None:
                continue
            if found.entry_id not in known:
                known[found.entry_id] = _Known(
                    [_Phrasing(normalise(q)) for q in store.get_entry(found.entry_id).questions],
                    [(_Phrasing(s.key), s) for s in store.suggestions(found.entry_id, None)])
            entry, phrasing_ = known[found.entry_id], _Phrasing(found.text)
            if any(phrasing_.near(q) for q in entry.questions):
                continue  # the entry already holds this phrasing
            into = next((s for p, s in entry.suggestions if phrasing_.near(p)), None)
            added = store.add_label(found.entry_id, found.text, phrasing_.key, found.strength,
                                    found.source, found.missed,
                                    into.id if into else None)  # fmt: skip
            if into is None:
                entry.suggestions.append((phrasing_, added))
            touched[added.id] = added
        if auto_accept > 0:
            for s in list(touched.values()):
                if s.status == "pending" and s.strong >= auto_accept:
                    # an editor saving the entry meanwhile wins: the next label retries
                    with suppress(VersionConflict):
                        _, touched[s.id] = accept(store, s.entry_id, s.id, AUTO_AUTHOR)
    return list(touched.values())


def accept(
    store: Store, entry_id: str, suggestion_id: int, author: str, text: str | None = None,
    base_version: int | None = None,
) -> tuple[Entry, Suggestion]:
    """Add the suggestion (or the editor's tidied `text` of it) to the entry's phrasings as
    a new version by `author`, and mark it accepted: both, or neither. `base_version` is
    the version the editor was looking at: VersionConflict if the entry moved on since."""
    with store.transaction():
        suggestion = store.suggestion(entry_id, suggestion_id)
        if suggestion.status != "pending":
            raise SuggestionDecided(suggestion_id, suggestion.status)
        phrase = suggestion.text if text is None else text.strip()
        entry = store.get_entry(entry_id)
        base = entry.version if base_version is None else base_version
        data = entry.content() | {"questions": [*entry.questions, phrase]}
        saved, _ = save(store, data, author, base, note=f"采纳建议问法：{phrase}")
        return saved, store.decide_suggestion(suggestion_id, "accepted", author, saved.version)


def reject(store: Store, entry_id: str, suggestion_id: int, author: str) -> Suggestion:
    """Reject a suggestion: it stays, so the same phrasing is never suggested again."""
    with store.transaction():
        store.suggestion(entry_id, suggestion_id)  # SuggestionNotFound for another entry's
        return store.decide_suggestion(suggestion_id, "rejected", author)


@dataclass
class Ranked:
    """A pending suggestion as an editor sees it: with where its entry ranks for it now."""

    suggestion: Suggestion
    rank: int | None  # the entry's place for this message today (None: not in the top ten)


def pending(store: Store, engine: Engine | None, entry_id: str | None = None) -> list[Ranked]:
    """Pending suggestions, the most useful first: the most evidence, then the worst ranked
    (most often never offered, then worst placed today: a phrasing the entry already wins
    teaches less), then the most recent."""
    out = []
    for s in store.suggestions(entry_id, "pending"):
        rank = None
        if engine is not None:
            hits = engine.search(s.text, top=10).hits
            rank = next((i for i, h in enumerate(hits, 1) if h.entry.id == s.entry_id), None)
        out.append(Ranked(s, rank))
    out.sort(key=lambda r: r.suggestion.last_seen, reverse=True)
    out.sort(key=lambda r: (-r.suggestion.weight, -r.suggestion.missed, -(r.rank or RANK_MISSED)))
    return out
