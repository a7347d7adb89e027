"""Editing entries: validated saves with optimistic locking, rollback, retire and restore, diffs.

Every change is a new version (the store keeps them all). An editor always says
which version they started from (`base_version`); if someone saved in between,
the store raises VersionConflict and nothing is written: the editor is shown the
difference and merges, rather than silently overwriting a colleague.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kb.corpus import case_from_data, entry_from_data, known_ids
from kb.errors import EntryExists
from kb.model import Case, Entry
from kb.store import Store

if TYPE_CHECKING:
    from kb.search.engine import Engine
    from kb.search.results import SearchResult


def save(
    store: Store, data: dict, author: str, base_version: int | None, note: str = ""
) -> tuple[Entry, bool]:
    """Validate an editor's entry (every error at once) and save it as a new version.

    `base_version` None means a new entry: it must not exist yet.
    """
    entry = entry_from_data(data, known_ids(store))
    if base_version is None and entry.id in store.ids("entries"):
        raise EntryExists(entry.id)
    return store.save_entry(entry, author, base_version=0 if base_version is None else base_version,
                            note=note)  # fmt: skip


def save_case(store: Store, case_id: str, data: dict) -> Case:
    """Add or change a past case, validated by the corpus rules (every error at once)."""
    case = case_from_data(data | {"id": case_id}, known_ids(store))
    store.upsert_case(case)
    return case


@dataclass
class Preview:
    """Where a draft would rank for one customer message, before it is saved."""

    query: str
    draft: Entry
    result: SearchResult
    rank: int | None  # the draft's place in the results, or None if it is not among them

    @property
    def confident(self) -> bool:
        """Would the draft be the confident answer?"""
        return self.result.confident and self.rank == 1


def preview(store: Store, engine: Engine, data: dict, query: str) -> Preview:
    """Validate a draft (its own id may be new) and rank it against the live entries."""
    known = known_ids(store)
    if isinstance(data.get("id"), str):  # anything else, the validator names
        known["entries"] = known["entries"] | {data["id"]}
    draft = entry_from_data(data, known)
    result = engine.preview(draft, query)
    rank = next((i for i, h in enumerate(result.hits, 1) if h.entry.id == draft.id), None)
    return Preview(query, draft, result, rank)


def rollback(store: Store, entry_id: str, version: int, author: str, base_version: int) -> Entry:
    """Bring back an old version's content as a new version (history is never rewritten)."""
    old = store.entry_version(entry_id, version)
    saved, _ = store.save_entry(old, author, base_version=base_version,
                                note=f"回滚到 v{version}")  # fmt: skip
    return saved


def set_status(store: Store, entry_id: str, status: str, author: str, base_version: int) -> Entry:
    """Retire (customers stop seeing it) or restore (published again): a new version either way."""
    entry = store.get_entry(entry_id)
    entry.status = status
    saved, _ = store.save_entry(entry, author, base_version=base_version, note=status)
    return saved


def diff(old: dict | None, new: dict) -> list[dict]:
    """Field by field, what changed between two versions' content, with line ops for text.

    >>> [d["field"] for d in diff({"title": "a", "tag": "x"}, {"title": "b", "tag": "x"})]
    ['title']
    >>> diff({"solution": "x\\ny"}, {"solution": "x\\nz"})[0]["lines"][1]
    {'op': 'replace', 'old': 'y', 'new': 'z'}
    """
    out = []
    for field_name, value in new.items():
        before = (old or {}).get(field_name)
        if before == value:
            continue
        change = {"field": field_name, "old": before, "new": value}
        if isinstance(value, str) or isinstance(before, str):
            change["lines"] = _line_ops(before or "", value or "")
        out.append(change)
    return out


def _line_ops(old: str, new: str) -> list[dict]:
    """Side-by-side rows: equal, delete, insert or replace, one line of each side per row."""
    a, b = old.splitlines(), new.splitlines()
    rows = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            left = a[i1 + k] if i1 + k < i2 else None
            right = b[j1 + k] if j1 + k < j2 else None
            kind = op if op != "replace" or (left is not None and right is not None) else (
                "delete" if right is None else "insert")  # fmt: skip
            rows.append({"op": kind, "old": left, "new": right})
    return rows
