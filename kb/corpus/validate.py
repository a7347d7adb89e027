"""The corpus rules, for YAML files and for an editor's JSON, entries and cases alike
(format: corpus/README.md).

Validation reports every problem with its file, line, field and reason, so an
editor can fix a whole file in one pass; nothing reaches the store unless the
whole corpus is valid. An entry or a case saved through the API is held to the same
rules, so whatever the API accepts, export and import can round-trip.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.corpus.files import corpus_files
from kb.corpus.lines import LineMap, LineSeq, lineless, load
from kb.errors import CorpusError, ValidationFailed
from kb.model import (
    CASE_OUTCOMES,
    FACTS,
    HANDOFFS,
    PRIORITIES,
    SLA_DEFAULT,
    STATUSES,
    URGENCIES,
    Case,
    Entry,
    Process,
    Queue,
    Routing,
    Topic,
)

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ID_MAX = 200  # characters: ids are slugs that name a scenario, not sentences
# Phrasings per entry: the seed's largest entry has 9; each one is encoded when the entry is
# saved or previewed (2,000 took 20 s), so a paste of a chat log is refused, not indexed.
QUESTIONS_MAX = 100
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CUSTOMER_MAX = 2000  # what a customer said, in a case: a message or two, not a transcript
ACTION_MAX = 4000  # what the agent did
SECTIONS = ("topic", "entries", "cases", "processes", "routing")
_SINGULAR = {"topics": "topic", "processes": "process", "entries": "entry", "cases": "case"}


# --- the parsed corpus --------------------------------------------------------


@dataclass
class Corpus:
    """Everything read from a set of files, with where each record came from."""

    topics: list[Topic] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    routing: Routing | None = None  # routing.yaml: which queue serves which topic
    files: list[str] = field(default_factory=list)


class _File:
    """Collects the errors of one file, each with its line and field."""

    def __init__(self, path: str, errors: list[CorpusError]):
        self.path, self.errors = path, errors

    def error(self, line: int | None, field_name: str | None, reason: str) -> None:
        self.errors.append(CorpusError(self.path, line, field_name, reason))


def read_corpus(path: str | Path, known: dict[str, set[str]] | None = None) -> Corpus:
    """Parse and validate a corpus file or folder.

    `known` holds ids that already exist (in the database) and may be referred to.
    Raises ValidationFailed listing every problem.
    """
    errors: list[CorpusError] = []
    corpus = Corpus()
    origins: dict[tuple[str, str], tuple[_File, int]] = {}
    refs: list[tuple[_File, int, str, str, str]] = []  # file, line, field, kind, id
    for file in corpus_files(path):
        _read_file(file, corpus, origins, refs, errors)
    known = known or {}
    for f, line, field_name, kind, ref in refs:
        if (kind, ref) not in origins and ref not in known.get(kind, set()):
            f.error(line, field_name, f"points to {_SINGULAR[kind]} {ref!r}, which does not exist")
    if errors:
        raise ValidationFailed(sorted(errors, key=lambda e: (e.file, e.line or 0)))
    return corpus


def _read_file(path: Path, corpus: Corpus, origins: dict, refs: list, errors: list) -> None:
    f = _File(str(path), errors)
    corpus.files.append(str(path))
    try:
        doc = load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        f.error(None, None, "not UTF-8 text")
        return
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        f.error(mark.line + 1 if mark else None, None, f"bad YAML: {reason}")
        return
    except RecursionError:
        f.error(None, None, "nests too deep to be a corpus file")
        return
    try:
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:  # YAML's "\ud800" escape makes half a surrogate pair
        f.error(None, None, f"holds {exc.object[exc.start]!r}, which is not a character; "
                "write the character itself")  # fmt: skip
        return
    if not isinstance(doc, LineMap):
        f.error(1, None, "a corpus file must be a mapping with topic, entries, cases, processes")
        return
    for key in doc:
        if key not in SECTIONS:
            f.error(doc.lines[key], key, f"unknown section; choose from {', '.join(SECTIONS)}")
    if "routing" in doc:
        if ("routing", "routing") in origins:
            other, other_line = origins["routing", "routing"]
            f.error(doc.lines["routing"], "routing",
                    f"routing is defined twice (first at {other.path}:{other_line})")  # fmt: skip
        else:
            origins["routing", "routing"] = (f, doc.lines["routing"])
            corpus.routing = _routing(f, doc["routing"], doc.lines["routing"], refs)
    topic = None
    if "topic" in doc:
        topic = _topic(f, doc["topic"], doc.lines["topic"], refs)
        if topic:
            _claim(f, origins, "topics", topic.id, doc["topic"].line, "topic.id")
            corpus.topics.append(topic)
    elif "entries" in doc or "cases" in doc:
        f.error(1, "topic", "missing: entries and cases need the file's topic")
    for section, build, kind, store in (
        ("processes", _process, "processes", corpus.processes),
        ("entries", _entry, "entries", corpus.entries),
        ("cases", _case, "cases", corpus.cases),
    ):
        if section not in doc:
            continue
        items = doc[section]
        if not isinstance(items, LineSeq):
            f.error(doc.lines[section], section, "must be a list")
            continue
        for i, item in enumerate(items):
            where = f"{section}[{i}]"
            if not isinstance(item, LineMap):
                f.error(items.lines[i], where, "must be a mapping")
                continue
            if isinstance(item.get("id"), str):
                # claim the id even if the record is invalid, so its references don't cascade
                _claim(f, origins, kind, item["id"], item.line, f"{where}.id")
            record = build(f, item, where, refs, topic)
            if record is not None:
                store.append(record)


def _claim(f: _File, origins: dict, kind: str, ident: str, line: int, field_name: str) -> None:
    """Register an id; a second definition anywhere in the corpus is an error."""
    if (kind, ident) in origins:
        other, other_line = origins[kind, ident]
        f.error(
            line, field_name, f"duplicate id {ident!r} (first defined at {other.path}:{other_line})"
        )
    else:
        origins[kind, ident] = (f, line)


# --- field checks -------------------------------------------------------------


class _Fields:
    """Typed reads from one mapping; each problem is reported once, with the key's line."""

    def __init__(self, f: _File, data: LineMap, where: str, allowed: tuple[str, ...]):
        self.f, self.data, self.where, self.ok = f, data, where, True
        for key in data:
            if key not in allowed:
                self.fail(key, f"unknown field; choose from {', '.join(allowed)}")

    def line(self, key: str) -> int:
        return self.data.lines.get(key, self.data.line)

    def fail(self, key: str, reason: str, near: str | None = None) -> None:
        """Report `key` as wrong, at its own line or, when it is absent, at `near`'s."""
        self.ok = False
        self.f.error(
            self.line(key if key in self.data else near or key), f"{self.where}.{key}", reason
        )

    def text(
        self, key: str, required: bool = True, default: str = "", max_chars: int | None = None
    ) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "missing")
            return default
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.fail(key, f"must be text, not {_kind(value)}")
            return default
        if required and not value.strip():
            self.fail(key, "must not be empty")
        if max_chars is not None and len(value) > max_chars:
            self.fail(key, f"is {len(value)} characters; the limit is {max_chars}")
        return value

    def ident(self, key: str = "id") -> str:
        value = self.text(key, max_chars=ID_MAX)
        if value and not ID_RE.match(value):
            self.fail(key, f"{value!r} is not an id: use lower-case a-z, 0-9 and '-'")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None) -> str:
        value = self.text(key, required=default is None, default=default or "")
        if value and value not in options:
            self.fail(key, f"unknown value {value!r}; choose from {', '.join(options)}")
        return value

    def texts(self, key: str, required: bool = True, max_items: int | None = None) -> list[str]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "missing")
            return []
        if not isinstance(value, list):
            self.fail(key, f"must be a list, not {_kind(value)}")
            return []
        if max_items is not None and len(value) > max_items:
            self.fail(key, f"holds {len(value)} items; the limit is {max_items}")
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, int | float) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                self.ok = False
                self.f.error(value.lines[i], f"{self.where}.{key}[{i}]", "must be non-empty text")
            else:
                out.append(item)
        if required and not value:
            self.fail(key, "must not be empty")
        return out

    def date(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not DATE_RE.match(value):
            self.fail(key, f"{value!r} is not a date; write YYYY-MM-DD")
            return None
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            self.fail(key, f"{value!r} is not a date: no such day")
            return None
        return value

    def refs(self, key: str, kind: str, refs: list) -> list[str]:
        ids = self.texts(key, required=False)
        lines = self.data[key].lines if ids else []
        for i, ref in enumerate(ids):
            refs.append((self.f, lines[i], f"{self.where}.{key}[{i}]", kind, ref))
        return ids


def _kind(value) -> str:
    """How a wrong value is named in an error message."""
    for kind, name in ((bool, "true/false"), (dict, "a mapping"), (list, "a list")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _topic(f: _File, data, line: int, refs: list) -> Topic | None:
    if not isinstance(data, LineMap):
        f.error(line, "topic", "must be a mapping with id and name")
        return None
    r = _Fields(f, data, "topic", ("id", "name", "parent", "description"))
    topic = Topic(
        r.ident(),
        r.text("name"),
        r.text("parent", required=False) or None,
        r.text("description", required=False),
    )
    if topic.parent:
        refs.append((f, r.line("parent"), "topic.parent", "topics", topic.parent))
    return topic if r.ok else None


def _process(
    f: _File, data: LineMap, where: str, refs: list, topic: Topic | None
) -> Process | None:
    r = _Fields(f, data, where, ("id", "name", "steps", "description"))
    process = Process(r.ident(), r.text("name"), r.texts("steps"), r.text("description", False))
    return process if r.ok else None


ENTRY_FIELDS = (
    "id",
    "title",
    "questions",
    "keywords",
    "solution",
    "urgency",
    "handoff",
    "handoff_reason",
    "soothing",
    "needs",
    "ask",
    "processes",
    "related",
    "valid_from",
    "valid_to",
    "status",
)


def _entry(f: _File, data: LineMap, where: str, refs: list, topic: Topic | None) -> Entry | None:
    r = _Fields(f, data, where, ENTRY_FIELDS)
    entry = Entry(
        id=r.ident(),
        topic=topic.id if topic else "",
        title=r.text("title"),
        questions=r.texts("questions", max_items=QUESTIONS_MAX),
        keywords=_keywords(r),
        solution=r.text("solution"),
        urgency=r.choice("urgency", URGENCIES, None),
        handoff=r.choice("handoff", HANDOFFS, "auto"),
        handoff_reason=r.text("handoff_reason", required=False),
        soothing=r.text("soothing", required=False),
        needs=_needs(r),
        ask=r.text("ask", required=False),
        processes=r.refs("processes", "processes", refs),
        related=r.refs("related", "entries", refs),
        valid_from=r.date("valid_from"),
        valid_to=r.date("valid_to"),
        status=r.choice("status", STATUSES, "published"),
    )
    if entry.handoff == "always" and not entry.handoff_reason.strip():
        r.fail("handoff_reason", "missing: say why this always goes to a human", near="handoff")
    if entry.valid_from and entry.valid_to and entry.valid_to < entry.valid_from:
        r.fail("valid_to", f"{entry.valid_to} is before valid_from {entry.valid_from}")
    if entry.id and entry.id in entry.related:
        r.fail("related", "an entry cannot be related to itself")
    return entry if r.ok and topic else None


def _needs(r: _Fields) -> list[str]:
    """The facts a human needs before taking over: each from FACTS, each once."""
    needs = r.texts("needs", required=False)
    lines = r.data["needs"].lines if needs else []
    for i, fact in enumerate(needs):
        if fact not in FACTS:
            reason = f"unknown fact {fact!r}; choose from {', '.join(FACTS)}"
        elif fact in needs[:i]:
            reason = f"{fact!r} is listed twice"
        else:
            continue
        r.ok = False
        r.f.error(lines[i], f"{r.where}.needs[{i}]", reason)
    return needs


def _keywords(r: _Fields) -> dict[str, list[str]]:
    value = r.data.get("keywords")
    if value is None:
        r.fail("keywords", "missing: the lexicon needs at least one keyword")
        return {}
    if not isinstance(value, LineMap):
        r.fail("keywords", f"must be a mapping of keyword: [synonyms], not {_kind(value)}")
        return {}
    if not value:
        r.fail("keywords", "the lexicon is empty: add at least one keyword")
    out = {}
    for word, synonyms in value.items():
        where = f"{r.where}.keywords.{word}"
        if not word.strip():
            r.ok = False
            r.f.error(value.lines[word], where, "a keyword must not be empty")
        elif synonyms is None:
            out[word] = []
        elif isinstance(synonyms, list) and all(isinstance(s, str | int) for s in synonyms):
            out[word] = [str(s) for s in synonyms]
        else:
            r.ok = False
            r.f.error(value.lines[word], where, "synonyms must be a list of words")
    return out


def _case(f: _File, data: LineMap, where: str, refs: list, topic: Topic | None) -> Case | None:
    r = _Fields(f, data, where, ("id", "entries", "customer", "action", "outcome", "date"))
    case = Case(
        r.ident(),
        r.refs("entries", "entries", refs),
        r.text("customer", max_chars=CUSTOMER_MAX),
        r.text("action", max_chars=ACTION_MAX),
        r.choice("outcome", CASE_OUTCOMES, "resolved"),
        r.date("date"),
    )
    if "entries" in data and not case.entries:
        r.fail("entries", "must list at least one entry id")
    elif "entries" not in data:
        r.fail("entries", "missing")
    return case if r.ok else None


def _routing(f: _File, data, line: int, refs: list) -> Routing | None:
    """routing.yaml: queues with their topics and SLA minutes per priority, and the default."""
    if not isinstance(data, LineMap):
        f.error(line, "routing", "must be a mapping with default and queues")
        return None
    r = _Fields(f, data, "routing", ("default", "queues"))
    items = data.get("queues")
    if not isinstance(items, LineSeq) or not items:
        r.fail("queues", "must be a non-empty list of queues")
        items = []
    queues, served_by = [], {}
    for i, item in enumerate(items):
        where = f"routing.queues[{i}]"
        if not isinstance(item, LineMap):
            r.fail("queues", f"queues[{i}] must be a mapping")
            continue
        q = _Fields(f, item, where, ("id", "name", "topics", "sla"))
        queue = Queue(q.ident(), q.text("name"), q.refs("topics", "topics", refs), _sla(q))
        for j, topic in enumerate(queue.topics):
            if topic in served_by:
                q.fail("topics", f"topics[{j}]: topic {topic!r} is already served by queue "
                       f"{served_by[topic]!r}")  # fmt: skip
            served_by[topic] = queue.id
        if queue.id in [other.id for other in queues]:
            q.fail("id", f"duplicate queue {queue.id!r}")
        r.ok &= q.ok
        queues.append(queue)
    default = r.text("default")
    ids = [q.id for q in queues]
    if default and default not in ids:
        r.fail("default", f"unknown queue {default!r}; choose from {', '.join(ids)}")
    return Routing(default, queues) if r.ok else None


def _sla(q: _Fields) -> dict[str, int]:
    """Minutes per priority; a priority left out keeps its default (P1: 10, the green channel)."""
    value = q.data.get("sla")
    if value is None:
        return dict(SLA_DEFAULT)
    if not isinstance(value, LineMap):
        q.fail("sla", f"must be a mapping of priority: minutes, not {_kind(value)}")
        return dict(SLA_DEFAULT)
    out = dict(SLA_DEFAULT)
    for priority, minutes in value.items():
        if priority not in PRIORITIES:
            q.fail("sla", f"unknown priority {priority!r}; choose from {', '.join(PRIORITIES)}")
        elif isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
            q.fail("sla", f"{priority}: {minutes!r} is not a number of minutes (1 or more)")
        else:
            out[priority] = minutes
    return out


def entry_from_data(data: dict, known: dict[str, set[str]]) -> Entry:
    """Validate one entry given as plain data (an editor's JSON) by the corpus rules.

    `known` holds the ids that may be referred to (topics, processes, entries). Raises
    ValidationFailed listing every problem; fields are named as `entry.<field>`, with
    no line (there is no file).
    """
    errors: list[CorpusError] = []
    f = _File("entry", errors)
    fields = {k: v for k, v in data.items() if k not in ("topic", "version")}
    topic_id = data.get("topic")
    topic = None
    if isinstance(topic_id, str) and topic_id in known.get("topics", set()):
        topic = Topic(topic_id, topic_id)
    else:
        f.error(None, "entry.topic", f"unknown topic {topic_id!r}")
    refs: list = []
    entry = _entry(f, lineless(fields), "entry", refs, topic)
    _check_refs(f, refs, known)
    if errors or entry is None:
        raise ValidationFailed(errors)
    return entry


def case_from_data(data: dict, known: dict[str, set[str]]) -> Case:
    """Validate one case given as plain data (an editor's JSON) by the corpus rules.

    `known` holds the ids that may be referred to (entries). Raises ValidationFailed
    listing every problem; fields are named as `case.<field>`.
    """
    errors: list[CorpusError] = []
    f = _File("case", errors)
    refs: list = []
    case = _case(f, lineless(data), "case", refs, None)
    _check_refs(f, refs, known)
    if errors or case is None:
        raise ValidationFailed(errors)
    return case


def _check_refs(f: _File, refs: list, known: dict[str, set[str]]) -> None:
    for _, _, field_name, kind, ref in refs:
        if ref not in known.get(kind, set()):
            f.error(None, field_name, f"points to {_SINGULAR[kind]} {ref!r}, which does not exist")


def known_ids(store) -> dict[str, set[str]]:
    """The ids in a store that a corpus, an entry or a case may refer to."""
    return {kind: store.ids(kind) for kind in ("topics", "processes", "entries")}
