"""The records of the knowledge base. Typed inside the package; dicts only at the edges.

An Entry's *content* (everything an editor can change) is what gets versioned:
two entries with the same content are the same version, whatever their metadata.
"""

from __future__ import annotations

import secrets
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import datetime

URGENCIES = ("high", "medium", "low")
HANDOFFS = ("auto", "always", "if_upset")
STATUSES = ("draft", "published", "retired")
CASE_OUTCOMES = ("resolved", "unresolved", "escalated")
DECISIONS = ("answer", "suggest", "ask", "handoff")
OUTCOMES = ("resolved", "takeover", "abandoned")  # what a caller reports after a recommendation
SUGGESTION_STATUSES = ("pending", "accepted", "rejected")
EMOTIONS = ("calm", "anxious", "angry")
# What a human may need before taking over a scenario (an entry's `needs`), as facts
# extraction (kb/recommend/facts.py) finds them in the customer's messages.
FACTS = ("order_id", "tracking_no", "photos", "product", "problem", "phone", "amount", "address",
         "date")  # fmt: skip
PRIORITIES = ("P1", "P2", "P3")  # a handoff ticket's priority; P1 is the green channel
SLA_DEFAULT = {"P1": 10, "P2": 60, "P3": 240}  # minutes to take a ticket; P1's 10: issue 16
TICKET_STATUSES = ("open", "taken", "closed")
TICKET_OUTCOMES = ("resolved", "unresolved")  # what the human who closed a ticket says


def defaults(record: type, *keep: str) -> dict:
    """A record's fields that have a default, with it (except the fields named in `keep`).

    >>> defaults(Topic)
    {'parent': None, 'description': ''}
    >>> defaults(Case, "outcome")
    {'date': None}
    """
    out = {}
    for f in fields(record):
        if f.name in keep:
            continue
        if f.default is not MISSING:
            out[f.name] = f.default
        elif f.default_factory is not MISSING:
            out[f.name] = f.default_factory()
    return out


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
    needs: list[str] = field(default_factory=list)  # FACTS a human needs before taking over
    ask: str = ""  # the question that asks for them (else one default question per fact)
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


def live_version(status: str, version: int, live: int | None) -> int | None:
    """The version customers see once `version` is saved with `status`, given the live one.

    Publishing makes the new version live; retiring takes the entry away from customers;
    a draft leaves them the version they had. The rule lives with the statuses it gives
    a meaning to, not in the store that records its answer.

    >>> live_version("published", 3, 1), live_version("draft", 3, 1), live_version("retired", 3, 1)
    (3, 1, None)
    >>> live_version("draft", 1, None) is None  # a new entry saved as a draft is not live yet
    True
    """
    if status == "published":
        return version
    if status == "retired":
        return None
    return live


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


@dataclass
class Recommendation:
    """One recommend call as stored: what was asked, what was decided, for which entry version.

    `entry_id`/`entry_version` name the top entry offered (None on a handoff with no
    match); the monitor counts the recommendation against that version. `gap` marks a
    message the knowledge base could not answer confidently: a content gap.
    """

    id: str
    created_at: str
    query: str
    normalised: str
    decision: str
    reason: str
    emotion: str
    urgency: str
    confidence: float
    entry_id: str | None = None
    entry_version: int | None = None
    candidates: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)  # the top hit's: fused, per retriever
    session_id: str | None = None
    channel: str | None = None
    gap: bool = False
    outcome: str | None = None
    outcome_at: str | None = None
    agent_reply: str | None = None
    used_entry_id: str | None = None


@dataclass
class Queue:
    """A skill group handoffs are routed to: the topics it serves and its SLA per priority."""

    id: str
    name: str
    topics: list[str]
    sla: dict[str, int]  # minutes from handoff to taken, per priority (P1 is the green channel)


@dataclass
class Routing:
    """Which queue serves which topic (sub-topics follow their parent); `default` takes the rest."""

    default: str
    queues: list[Queue]


@dataclass
class Ticket:
    """A handoff a human can act on without asking again; its id is the handoff's recommendation.

    `facts` are masked for display (never an unmasked phone), and so is the transcript.
    """

    id: str
    created_at: str
    queue: str
    priority: str  # P1 | P2 | P3
    due: str  # when it must be taken, by the queue's SLA
    summary: str  # one line: the scenario and the key facts
    facts: dict[str, str]
    emotion: str
    transcript: list[dict]  # the session's messages, oldest first: {"at", "text"}
    suggested: dict | None  # the entry a human should start from: id, title, version, solution
    soothing: str
    reason: str
    session_id: str | None = None
    tier: str | None = None
    status: str = "open"  # open | taken | closed
    taken_by: str | None = None
    taken_at: str | None = None
    closed_at: str | None = None
    outcome: str | None = None  # resolved | unresolved, said by who closed it
    agent_reply: str | None = None


def new_id(at: datetime) -> str:
    """A recommendation id: time-ordered and unguessable (12 hex digits of ms, 8 random ones)."""
    return f"{int(at.timestamp() * 1000):012x}{secrets.token_hex(4)}"


@dataclass
class Outcome:
    """What happened after a recommendation, as the bot or agent reports it."""

    recommendation_id: str
    outcome: str
    agent_reply: str | None = None
    used_entry_id: str | None = None


@dataclass
class VersionStats:
    """Recommendations served by one entry version over a window, and how many a human took over."""

    entry_id: str
    version: int
    served: int
    takeovers: int
    resolved: int = 0
    abandoned: int = 0

    @property
    def rate(self) -> float | None:
        """Takeovers per served recommendation; None before anything was served."""
        return self.takeovers / self.served if self.served else None


@dataclass
class Flag:
    """An entry version whose takeover rate crossed the threshold: it needs a rewrite.

    Open until a newer version of the entry is published; then `status` is
    "rewritten" and `rewrite_version` is the version measured from zero since.
    """

    id: int
    entry_id: str
    version: int
    status: str  # open | rewritten
    opened_at: str
    served: int  # the evidence when the flag opened
    takeovers: int
    closed_at: str | None = None
    rewrite_version: int | None = None


@dataclass
class Suggestion:
    """A phrasing customers used for an entry that the entry does not hold yet.

    Learnt from outcomes (masked first): `strong` counts messages a human said belonged
    to the entry, `weak` those the bot answered with it and the customer was helped;
    `missed`, of the strong ones, those for which the bot never even offered the entry.
    """

    id: int
    entry_id: str
    text: str  # masked: never a customer's order number, phone, name or address
    key: str  # the normalised text near-duplicates are collapsed on
    status: str  # pending | accepted | rejected
    strong: int
    weak: int
    missed: int
    first_seen: str
    last_seen: str
    decided_at: str | None = None
    decided_by: str | None = None
    accepted_version: int | None = None  # the entry version that added it

    @property
    def weight(self) -> int:
        """How much the evidence counts: a human's word twice a bot's unchallenged answer."""
        return 2 * self.strong + self.weak


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
