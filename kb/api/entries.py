"""Read entries: the list (by topic, paginated) and one entry with its versions."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from kb.api.auth import requires
from kb.api.db import get_store
from kb.api.params import int_arg
from kb.model import Entry

bp = Blueprint("entries", __name__, url_prefix="/api/v1")


def entry_json(entry: Entry) -> dict:
    return entry.content() | {"version": entry.version}


@bp.get("/entries")
@requires("read")
def list_entries():
    """Live entries in id order; `topic` includes its sub-topics; `limit`/`offset` paginate."""
    store = get_store()
    limit = int_arg("limit", 50, 1, current_app.config["KB"]["page_size_max"])
    offset = int_arg("offset", 0, 0, 10**9)
    topic = request.args.get("topic")
    topics = store.topic_subtree(topic) if topic else None
    return {
        "entries": [entry_json(e) for e in store.entries(topics, True, limit, offset)],
        "total": store.count_entries(topics, live_only=True),
        "limit": limit,
        "offset": offset,
    }


@bp.get("/entries/<entry_id>")
@requires("read")
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
        "versions": [
            {
                "version": v.version,
                "status": v.status,
                "author": v.author,
                "created_at": v.created_at,
                "changed": v.changed,
                "note": v.note,
            }
            for v in store.versions(entry_id)
        ],
    }
