"""Suggested phrasings and keywords: what traffic taught about an entry, for an editor to
accept or reject."""

from __future__ import annotations

from flask import Blueprint, current_app

from kb.api.auth import caller, requires
from kb.api.entries import base_version, version_conflict
from kb.api.openapi import documented
from kb.api.params import int_arg, json_body, text
from kb.api.resources import get_engine, get_store, searchable
from kb.api.schemas import EDIT, NI, NOT_FOUND, NS, PAGE, I, S, arr, enum, int_range, obj, q, ref
from kb.authoring.keywords import accept_keyword, reject_keyword, suggested_keywords
from kb.authoring.suggestions import PHRASING_MAX, accept, pending, reject
from kb.errors import VersionConflict
from kb.model import SUGGESTION_STATUSES
from kb.serialise import entry_json, ranked_json, suggestion_json

bp = Blueprint("suggestions", __name__, url_prefix="/api/v1")
SUGGESTION = obj({"id": I, "entry_id": S, "text": S, "status": enum(SUGGESTION_STATUSES),
                  "strong": I, "weak": I, "missed": I, "first_seen": S, "last_seen": S,
                  "decided_at": NS, "decided_by": NS, "accepted_version": NI})  # fmt: skip
RANKED = obj(SUGGESTION["properties"] | {"rank": NI})
PATH = "/entries/<entry_id>/suggestions"
KEYWORDS = "/entries/<entry_id>/keyword-suggestions"
KEYWORD = obj({"word": S, "messages": I, "elsewhere": I, "examples": arr(S), "synonym_of": NS})
WORD_MAX = 20  # characters: a keyword is a word or two, not a phrase
KEYWORD_MAX = 200  # an entry's keyword, named: imports set no limit, so a generous one


@bp.get("/suggestions")
@requires("flags")
@documented("Entries with suggested phrasings pending an editor, most evidence first",
            obj({"entries": arr(obj({"entry_id": S, "title": S, "suggestions": I, "strong": I,
                                     "weak": I, "missed": I, "last_seen": S})), "total": I}),
            params=[q("limit", PAGE)])  # fmt: skip
def entries_with_suggestions():
    """Where the learning loop waits for an editor: each entry with pending suggestions, how
    many, their strong, weak and missed labels summed, and when the latest came; the entry
    with the most strong labels first. `limit` of them (50 unless asked), of `total`."""
    engine = get_engine()
    rows = get_store().pending_by_entry()
    shown = rows[: int_arg("limit", 50, 1, current_app.config["KB"]["page_size_max"])]
    with engine.lock:
        titles = {r["entry_id"]: e.title for r in shown if (e := engine.entries.get(r["entry_id"]))}
    return {"entries": [r | {"title": titles.get(r["entry_id"], r["entry_id"])} for r in shown],
            "total": len(rows)}  # fmt: skip


@bp.get(PATH)
@requires("flags")
@documented("Phrasings customers used that the entry lacks, most useful first",
            obj({"entry_id": S, "suggestions": arr(RANKED)}), errors=NOT_FOUND)  # fmt: skip
def list_suggestions(entry_id: str):
    """Pending suggestions: most evidence first, then where the entry ranks worst for them
    today (`rank` null: not in the top ten)."""
    store = get_store()
    store.get_entry(entry_id)
    ranked = pending(store, get_engine(), entry_id)
    return {"entry_id": entry_id, "suggestions": [ranked_json(r) for r in ranked]}


@bp.post(f"{PATH}/<int:suggestion_id>/accept")
@requires("edit")
@documented("Add the phrasing to the entry as a new version (editor); 409 if already decided "
            "or the entry changed since `base_version`",
            obj({"suggestion": SUGGESTION, "entry": ref("Entry")}),
            body=obj({"base_version": int_range(1),
                      "text": {"type": "string", "minLength": 1, "maxLength": PHRASING_MAX * 4}},
                     ["base_version"], strict=False), errors=EDIT)  # fmt: skip
def accept_suggestion(entry_id: str, suggestion_id: int):
    """Accept, optionally with the editor's tidied `text`: the entry gets a new version with
    the phrasing added, the editor as its author. Like any edit it names the version the
    editor saw (`base_version`); if the entry moved on since, 409 and nothing changes."""
    body = json_body('{"base_version": 3, "text": "..."}')
    base = base_version(body)
    store = get_store()
    try:
        phrase = text(body, "text", PHRASING_MAX * 4, "text" in body)
        entry, suggestion = accept(store, entry_id, suggestion_id, caller().name, phrase, base)
    except VersionConflict as exc:
        return version_conflict(exc, store)
    searchable()
    return {"suggestion": suggestion_json(suggestion), "entry": entry_json(entry)}


@bp.post(f"{PATH}/<int:suggestion_id>/reject")
@requires("edit")
@documented("Reject the phrasing; it is never suggested again; 409 if already decided",
            obj({"suggestion": SUGGESTION}), errors=EDIT)  # fmt: skip
def reject_suggestion(entry_id: str, suggestion_id: int):
    """Reject: remembered, so the same phrasing is not suggested again."""
    return {"suggestion": suggestion_json(reject(get_store(), entry_id, suggestion_id,
                                                 caller().name))}  # fmt: skip


@bp.get(KEYWORDS)
@requires("flags")
@documented("Words the entry's learnt phrasings share that its lexicon lacks, most telling first",
            obj({"entry_id": S, "keywords": arr(KEYWORD)}), errors=NOT_FOUND)  # fmt: skip
def list_keyword_suggestions(entry_id: str):
    """Suggested keywords: each with how many of the entry's learnt phrasings hold it, how
    many of other entries' do, and a few of them as examples."""
    found = suggested_keywords(get_store(), get_engine(), [entry_id])[entry_id]
    return {"entry_id": entry_id, "keywords": [vars(k) for k in found]}


@bp.post(f"{KEYWORDS}/accept")
@requires("edit")
@documented("Add the word to the entry's lexicon as a new version (editor): a keyword of its "
            "own, or a synonym of the keyword `synonym_of`; 409 if the word was already "
            "decided or the entry changed since `base_version`",
            obj({"word": S, "synonym_of": NS, "entry": ref("Entry")}),
            body=obj({"word": {"type": "string", "minLength": 1, "maxLength": WORD_MAX},
                      "base_version": int_range(1),
                      "synonym_of": NS | {"maxLength": KEYWORD_MAX}},
                     ["word", "base_version"]),
            errors=EDIT)  # fmt: skip
def accept_keyword_suggestion(entry_id: str):
    """Accept: the entry gets a new version with the word as a keyword (no synonyms yet) or
    as a synonym of one of its keywords, the editor as its author; the verdict is
    remembered."""
    body = json_body('{"word": "发痒", "base_version": 3, "synonym_of": "过敏"}')
    word, base = text(body, "word", WORD_MAX, True).strip(), base_version(body)
    synonym_of = text(body, "synonym_of", KEYWORD_MAX)
    synonym_of = synonym_of.strip() if synonym_of else None
    store = get_store()
    try:
        entry = accept_keyword(store, entry_id, word, caller().name, base, synonym_of)
    except VersionConflict as exc:
        return version_conflict(exc, store)
    searchable()
    return {"word": word, "synonym_of": synonym_of, "entry": entry_json(entry)}


@bp.post(f"{KEYWORDS}/reject")
@requires("edit")
@documented("Reject the word for this entry; it is never suggested for it again; 409 if "
            "already decided", obj({"word": S, "status": S}),
            body=obj({"word": {"type": "string", "minLength": 1, "maxLength": WORD_MAX}},
                     ["word"]), errors=EDIT)  # fmt: skip
def reject_keyword_suggestion(entry_id: str):
    """Reject: remembered, so the word is not suggested for the entry again."""
    body = json_body('{"word": "要求"}')
    word = text(body, "word", WORD_MAX, True).strip()
    reject_keyword(get_store(), entry_id, word, caller().name)
    return {"word": word, "status": "rejected"}
