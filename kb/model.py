"""The records of the knowledge base. Typed inside the package; dicts only at the edges.

An Entry's *content* (everything an editor can change) is what gets versioned:
two entries with the same content are the same version, whatever their metadata.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

URGENCIES = ("high", "medium", "low")
HANDOFFS = ("auto", "always", "if_upset")
STATUSES = ("draft", "published", "retired")
CASE_OUTCOMES = ("resolved", "unresolved", "escalated")


@dataclass
class Topic:
    id: str
    name: str
    parent: str | None = None
    description: str = ""


@dataclass
class Process:
    id: str
    name: str
    steps: list[str]
    description: str = ""


@dataclass
class Entry:
    """One scenario's knowledge. `version` is 0 until the store has saved it."""

    id: str
    topic: str
    title: str
    questions: list[str]
    keywords: dict[str, list[str]]
    solution: str
    urgency: str = "medium"
    handoff: str = "auto"
    handoff_reason: str = ""
    soothing: str = ""
    processes: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    valid_from: str | None = None
    valid_to: str | None = None
    status: str = "published"
    version: int = field(default=0, compare=False)

    def content(self) -> dict:
        """The versioned fields, as plain data (what a version stores and diffs)."""
        data = asdict(self)
        del data["version"]
        return data

    @classmethod
    def from_content(cls, data: dict, version: int = 0) -> Entry:
        known = {f.name for f in fields(cls)} - {"version"}
        return cls(**{k: v for k, v in data.items() if k in known}, version=version)


@dataclass
class EntryVersion:
    """One saved state of an entry: who saved it, when, and which fields changed."""

    entry_id: str
    version: int
    status: str
    author: str
    created_at: str
    changed: list[str]
    note: str
    content: dict


@dataclass
class Case:
    """A past conversation and what was done, linked to the entries it belongs to."""

    id: str
    entries: list[str]
    customer: str
    action: str
    outcome: str = "resolved"
    date: str | None = None


def changed_fields(old: dict | None, new: dict) -> list[str]:
    """Names of the content fields that differ between two versions.

    >>> changed_fields({"title": "a", "urgency": "low"}, {"title": "b", "urgency": "low"})
    ['title']
    >>> changed_fields(None, {"title": "a", "valid_to": None})
    ['title', 'valid_to']
    """
    if old is None:
        return list(new)
    return [k for k in new if old.get(k) != new[k]]
