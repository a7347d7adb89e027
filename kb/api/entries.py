"""Entries: the list (by topic, paginated), one entry with its versions and diffs, and edits
(create, save a version, roll back, retire, restore, preview a draft's rank)."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from kb.api.auth import caller, requires
from kb.api.errors import error_body
from kb.api.openapi import documented
from kb.api.params import int_arg, json_body, text
from kb.api.resources import get_engine, get_store, searchable
from kb.api.schemas import (
    BASE,
    EDIT,
    NI,
    NOT_FOUND,
    PAGE,
    QUERY,
    RANGE,
    B,
    I,
    S,
    arr,
    int_range,
    obj,
    q,
    ref,
)
from kb.authoring.editing import diff, preview, rollback, save, set_status
from kb.errors import InvalidParameter, VersionConflict
from kb.model import Entry
from kb.serialise import entry_json, preview_json, version_json

bp = Blueprint("entries", __name__, url_prefix="/api/v1")
NOTE_MAX = 500  # an editor's note on a version: a line, kept with every version
NOTE = {"type": "string", "maxLength": NOTE_MAX}
CONTAINING = {"type": "string", "maxLength": 100}  # the entry list's filter: an id or title part
SAVED = ref("Saved")


@bp.get("/entries")
@requires("read")
@documented("Live entries, paginated",
            obj({"entries": arr(ref("Entry")), "total": I, "limit": I, "offset": I}),
            params=[q("topic", S), q("q", CONTAINING), q("limit", PAGE),
                    q("offset", int_range(0))],
            errors=NOT_FOUND)  # fmt: skip
def list_entries():
    """Live entries in id order; `topic` includes its sub-topics; `q` keeps those whose id or
    title holds it, either side in traditional or simplified, full- or half-width letters (the
    editor's filter, over every entry, not one page); `limit`/`offset` paginate."""
    store = get_store()
    limit = int_arg("limit", 50, 1, current_app.config["KB"]["page_size_max"])
    offset = int_arg("offset", 0, 0, 10**9)
    topic = request.args.get("topic")
    typed = (text(request.args, "q", CONTAINING["maxLength"]) or "").strip()
    containing = (typed,) if typed else ()  # the store folds both sides (退貨 finds 退货)
    topics = store.topic_subtree(topic) if topic else None
    return {
        "entries": [entry_json(e) for e in store.entries(topics, True, limit, offset, containing)],
        "total": store.count_entries(topics, True, containing),
        "limit": limit,
        "offset": offset,
    }


@bp.get("/entries/<entry_id>")
@requires("read")
@documented(
    "An entry with its versions",
    obj({"entry": ref("Entry"), "live_version": NI,
         "versions": arr(obj({"version": I, "status": S, "author": S, "created_at": S,
                              "changed": arr(S), "note": S}))}),
    params=[q("version", RANGE)],
    errors=NOT_FOUND,
)  # fmt: skip
def get_entry(entry_id: str):
    """The head version (or `?version=N`), the live version number and the version history."""
    store = get_store()
    version = request.args.get("version")
    if version is None:
        entry = store.get_entry(entry_id)
    else:
        entry = store.entry_version(entry_id, int_arg("version", 1, 1, 10**9))
    live = store.live_entry(entry_id)
    return {
        "entry": entry_json(entry),
        "live_version": live.version if live else None,
        "versions": [version_json(v) for v in store.versions(entry_id)],
    }


def base_version(body: dict) -> int:
    value = body.get("base_version")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidParameter("base_version is required: the version you started from",
                               "base_version")  # fmt: skip
    return value


def version_conflict(exc: VersionConflict, store) -> tuple[dict, int]:
    """409 with what the other editor changed since the base version, to merge by hand."""
    head = store.get_entry(exc.entry_id)
    known = 0 < exc.expected <= head.version  # a base ahead of the head has nothing to show
    base = store.entry_version(exc.entry_id, exc.expected).content() if known else None
    body = error_body(exc.code, exc.message, exc.field)
    body["current"] = entry_json(head)
    body["theirs"] = diff(base, head.content())
    return body, 409


def _saved(entry: Entry, added: bool, status: int = 200):
    """The saved entry, answered once searches see it."""
    if added:
        searchable()
    return {"entry": entry_json(entry), "saved": added}, status


@bp.post("/entries")
@requires("edit")
@documented("Create an entry (editor)", SAVED,
            body={"allOf": [ref("EntryInput"), obj({"note": NOTE}, strict=False)]}, status=201,
            errors=EDIT)  # fmt: skip
def create_entry():
    """A new entry: every field validated at once; it starts at version 1. `note` says why
    (the editor's form sends one, as with an edit)."""
    body = json_body('{"id": "...", "topic": "...", "title": "...", ...}')
    note = text(body, "note", NOTE_MAX) or "created"
    data = {k: v for k, v in body.items() if k != "note"}
    entry, added = save(get_store(), data, caller().name, None, note)
    return _saved(entry, added, 201)


@bp.put("/entries/<entry_id>")
@requires("edit")
@documented("Save an edit as a new version (editor); 409 on a conflict", SAVED,
            body={"allOf": [ref("EntryInput"), BASE, obj({"note": NOTE}, strict=False)]},
            errors=EDIT)  # fmt: skip
def update_entry(entry_id: str):
    """Save an edit as a new version; 409 with the other editor's changes if it moved on."""
    body = json_body('{"base_version": 3, "title": "...", "solution": "...", ...}')
    base = base_version(body)
    store = get_store()
    store.get_entry(entry_id)
    data = {k: v for k, v in body.items() if k not in ("base_version", "note")} | {"id": entry_id}
    try:
        note = text(body, "note", NOTE_MAX) or ""
        return _saved(*save(store, data, caller().name, base, note))
    except VersionConflict as exc:
        return version_conflict(exc, store)


def _versioned_action(action):
    body = json_body('{"base_version": 3}')
    store = get_store()
    try:
        return _saved(action(store, body, base_version(body)), True)
    except VersionConflict as exc:
        return version_conflict(exc, store)


@bp.post("/entries/<entry_id>/rollback")
@requires("edit")
@documented("Bring back a version as a new version", SAVED,
            body=obj({"version": I, "base_version": I}, strict=False), errors=EDIT)  # fmt: skip
def rollback_entry(entry_id: str):
    """Bring back version `version` as a new version (history stays)."""

    def act(store, body, base):
        version = body.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidParameter("version is required: the version to bring back", "version")
        return rollback(store, entry_id, version, caller().name, base)

    return _versioned_action(act)


@bp.post("/entries/<entry_id>/retire")
@requires("edit")
@documented("Retire (customers stop seeing it)", SAVED, body=BASE, errors=EDIT)
def retire_entry(entry_id: str):
    """Customers stop seeing the entry; a new version records who and when."""
    return _versioned_action(
        lambda store, body, base: set_status(store, entry_id, "retired", caller().name, base),
    )


@bp.post("/entries/<entry_id>/restore")
@requires("edit")
@documented("Publish again", SAVED, body=BASE, errors=EDIT)
def restore_entry(entry_id: str):
    """Publish a retired or draft entry again."""
    return _versioned_action(
        lambda store, body, base: set_status(store, entry_id, "published", caller().name, base),
    )


@bp.get("/entries/<entry_id>/diff")
@requires("read")
@documented("Changes between two versions",
            obj({"entry_id": S, "from": I, "to": I, "changes": arr(ref("Change"))}),
            params=[q("from", RANGE), q("to", RANGE)], errors=NOT_FOUND)  # fmt: skip
def entry_diff(entry_id: str):
    """What changed from version `from` to version `to` (default: the one before, the head)."""
    store = get_store()
    head = store.get_entry(entry_id)
    new = int_arg("to", head.version, 1, 10**9)
    old = int_arg("from", max(new - 1, 1), 1, 10**9)
    return {
        "entry_id": entry_id,
        "from": old,
        "to": new,
        "changes": diff(
            store.entry_version(entry_id, old).content(),
            store.entry_version(entry_id, new).content(),
        ),
    }


@bp.post("/entries/preview")
@requires("edit")
@documented(
    "Rank a draft against the live entries (editor)",
    obj({"query": S, "rank": NI, "confident": B, "results": arr(ref("PreviewHit"))}),
    body=obj({"entry": ref("EntryInput"), "query": QUERY}, strict=False),
)
def preview_entry():
    """Where a draft would rank for a customer message against the live entries, before saving."""
    body = json_body('{"entry": {...}, "query": "..."}')
    query = text(body, "query", current_app.config["KB"]["query_max_chars"], required=True)
    draft = body.get("entry")
    if not isinstance(draft, dict):
        raise InvalidParameter("entry must be the draft entry as a JSON object", "entry")
    return preview_json(preview(get_store(), get_engine(), draft, query))
