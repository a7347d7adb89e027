"""Read, validate and write the YAML corpus (format: corpus/README.md).

Validation reports every problem with its file, line, field and reason, so an
editor can fix a whole file in one pass; nothing reaches the store unless the
whole corpus is valid.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from kb.errors import CorpusError
from kb.model import (
    CASE_OUTCOMES,
    HANDOFFS,
    STATUSES,
    URGENCIES,
    Case,
    Entry,
    Process,
    Topic,
    defaults,
)
from kb.store import Store

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_FILE_BYTES = 5 * 1024 * 1024  # a topic file is hand-written text; 5 MB is far past any real one
PROCESSES_FILE = "processes.yaml"
_SINGULAR = {"topics": "topic", "processes": "process", "entries": "entry", "cases": "case"}


# --- YAML with line numbers ---------------------------------------------------


class _Map(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int
    lines: dict


class _Seq(list):
    """A sequence that remembers the line of itself and of each item."""

    line: int
    lines: list


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps dates as text, so the validator (not the parser) judges them."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line, out.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be text", key_node.start_mark
            )
        key = str(key)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


# --- the parsed corpus --------------------------------------------------------


@dataclass
class Corpus:
    """Everything read from a set of files, with where each record came from."""

    topics: list[Topic] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


class _File:
    """Collects the errors of one file, each with its line and field."""

    def __init__(self, path: str, errors: list[CorpusError]):
        self.path, self.errors = path, errors

    def error(self, line: int | None, field_name: str | None, reason: str) -> None:
        self.errors.append(CorpusError(self.path, line, field_name, reason))


def corpus_files(path: str | Path) -> list[Path]:
    """The YAML files of a corpus: the file itself, or every *.yaml / *.yml in a folder."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        if not files:
            raise CorpusError(str(path), None, None, "no .yaml files in this folder")
    elif not path.exists():
        raise CorpusError(str(path), None, None, "no such file or folder")
    else:
        files = [path]
    root = (path if path.is_dir() else path.parent).resolve()
    for file in files:
        _inside(root, file)
        size = file.stat().st_size
        if size > FILE_MAX_BYTES:
            raise CorpusError(str(file), None, None, f"is {size} bytes; a corpus file may be "
                              f"{FILE_MAX_BYTES} at most (split the topic)")  # fmt: skip
    return files


FILE_MAX_BYTES = 10 * 2**20  # the largest seed file is 40 KB; 10 MB is a mistake, not a topic


def _inside(root: Path, file: Path) -> None:
    """Refuse a file that resolves outside the corpus folder (a symlink pointing elsewhere)."""
    if not file.resolve().is_relative_to(root):
        raise CorpusError(str(file), None, None, f"points outside {root}; refused")


def read_corpus(path: str | Path, known: dict[str, set[str]] | None = None) -> Corpus:
    """Parse and validate a corpus file or folder.

    `known` holds ids that already exist (in the database) and may be referred to.
    Raises the first CorpusError, with `.errors` listing all of them.
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
        errors.sort(key=lambda e: (e.file, e.line or 0))
        first = errors[0]
        first.errors = errors
        raise first
    return corpus


def _read_file(path: Path, corpus: Corpus, origins: dict, refs: list, errors: list) -> None:
    f = _File(str(path), errors)
    corpus.files.append(str(path))
    if path.stat().st_size > MAX_FILE_BYTES:
        f.error(None, None, f"file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
        return
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except UnicodeDecodeError:
        f.error(None, None, "not UTF-8 text")
        return
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        f.error(mark.line + 1 if mark else None, None, f"bad YAML: {reason}")
        return
    if not isinstance(doc, _Map):
        f.error(1, None, "a corpus file must be a mapping with topic, entries, cases, processes")
        return
    for key in doc:
        if key not in ("topic", "entries", "cases", "processes"):
            f.error(
                doc.lines[key], key, "unknown section; choose from topic, entries, cases, processes"
            )
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
        if not isinstance(items, _Seq):
            f.error(doc.lines[section], section, "must be a list")
            continue
        for i, item in enumerate(items):
            where = f"{section}[{i}]"
            if not isinstance(item, _Map):
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

    def __init__(self, f: _File, data: _Map, where: str, allowed: tuple[str, ...]):
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

    def text(self, key: str, required: bool = True, default: str = "") -> str:
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
        return value

    def ident(self, key: str = "id") -> str:
        value = self.text(key)
        if value and not ID_RE.match(value):
            self.fail(key, f"{value!r} is not an id: use lower-case a-z, 0-9 and '-'")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None) -> str:
        value = self.text(key, required=default is None, default=default or "")
        if value and value not in options:
            self.fail(key, f"unknown value {value!r}; choose from {', '.join(options)}")
        return value

    def texts(self, key: str, required: bool = True) -> list[str]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "missing")
            return []
        if not isinstance(value, list):
            self.fail(key, f"must be a list, not {_kind(value)}")
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
    if not isinstance(data, _Map):
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


def _process(f: _File, data: _Map, where: str, refs: list, topic: Topic | None) -> Process | None:
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
    "processes",
    "related",
    "valid_from",
    "valid_to",
    "status",
)


def _entry(f: _File, data: _Map, where: str, refs: list, topic: Topic | None) -> Entry | None:
    r = _Fields(f, data, where, ENTRY_FIELDS)
    entry = Entry(
        id=r.ident(),
        topic=topic.id if topic else "",
        title=r.text("title"),
        questions=r.texts("questions"),
        keywords=_keywords(r),
        solution=r.text("solution"),
        urgency=r.choice("urgency", URGENCIES, None),
        handoff=r.choice("handoff", HANDOFFS, "auto"),
        handoff_reason=r.text("handoff_reason", required=False),
        soothing=r.text("soothing", required=False),
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


def _keywords(r: _Fields) -> dict[str, list[str]]:
    value = r.data.get("keywords")
    if value is None:
        r.fail("keywords", "missing: the lexicon needs at least one keyword")
        return {}
    if not isinstance(value, _Map):
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


def _case(f: _File, data: _Map, where: str, refs: list, topic: Topic | None) -> Case | None:
    r = _Fields(f, data, where, ("id", "entries", "customer", "action", "outcome", "date"))
    case = Case(
        r.ident(),
        r.refs("entries", "entries", refs),
        r.text("customer"),
        r.text("action"),
        r.choice("outcome", CASE_OUTCOMES, "resolved"),
        r.date("date"),
    )
    if "entries" in data and not case.entries:
        r.fail("entries", "must list at least one entry id")
    elif "entries" not in data:
        r.fail("entries", "missing")
    return case if r.ok else None


def entry_from_data(data: dict, known: dict[str, set[str]]) -> Entry:
    """Validate one entry given as plain data (an editor's JSON) by the corpus rules.

    `known` holds the ids that may be referred to (topics, processes, entries). Raises
    the first CorpusError, with `.errors` listing all of them; fields are named as
    `entry.<field>`, with no line (there is no file).
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
    entry = _entry(f, _lineless(fields), "entry", refs, topic)
    for _, _, field_name, kind, ref in refs:
        if ref not in known.get(kind, set()):
            f.error(None, field_name, f"points to {_SINGULAR[kind]} {ref!r}, which does not exist")
    if errors or entry is None:
        errors[0].errors = errors
        raise errors[0]
    return entry


def _lineless(value):
    """Plain JSON data dressed as parsed YAML, with no line numbers."""
    if isinstance(value, dict):
        out = _Map({str(k): _lineless(v) for k, v in value.items()})
        out.line, out.lines = None, defaultdict(lambda: None)
        return out
    if isinstance(value, list):
        out = _Seq(_lineless(v) for v in value)
        out.line, out.lines = None, [None] * len(out)
        return out
    return value


# --- import and export --------------------------------------------------------


def import_corpus(store: Store, path: str | Path, author: str = "import") -> dict[str, int]:
    """Validate then upsert a corpus in one transaction: all of it, or nothing on any error.

    Unchanged entries keep their version, so importing the same corpus twice adds nothing.
    """
    known = {kind: store.ids(kind) for kind in ("topics", "processes", "entries")}
    corpus = read_corpus(path, known)
    counts = {
        "topics": len(corpus.topics),
        "processes": len(corpus.processes),
        "entries_new": 0,
        "entries_changed": 0,
        "cases": len(corpus.cases),
    }
    with store.transaction():
        for topic in corpus.topics:
            store.upsert_topic(topic)
        for process in corpus.processes:
            store.upsert_process(process)
        for entry in corpus.entries:
            _, added = store.save_entry(entry, author, note=f"import {path}")
            if added:
                key = "entries_changed" if entry.id in known["entries"] else "entries_new"
                counts[key] += 1
        for case in corpus.cases:
            store.upsert_case(case)
        store.record_import(str(path), author, counts)
    return counts


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text (solutions), so exported files read like the originals."""


def _str(dumper: _Dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(doc: dict) -> str:
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def export_corpus(store: Store, folder: str | Path) -> list[Path]:
    """Write the head version of everything back as YAML, one file per topic."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    entries = store.entries()
    topic_of = {e.id: e.topic for e in entries}
    cases_by_topic: dict[str, list[Case]] = {}
    for case in store.cases():
        cases_by_topic.setdefault(topic_of[case.entries[0]], []).append(case)
    written = []
    for topic in store.topics():
        doc: dict = {"topic": _compact(asdict(topic), defaults(Topic))}
        doc["entries"] = [_entry_doc(e) for e in entries if e.topic == topic.id]
        doc["cases"] = [
            _compact(asdict(c), defaults(Case)) for c in cases_by_topic.get(topic.id, [])
        ]
        written.append(_write(folder / f"{topic.id}.yaml", doc))
    processes = [_compact(asdict(p), defaults(Process)) for p in store.processes()]
    if processes:
        written.append(_write(folder / PROCESSES_FILE, {"processes": processes}))
    return written


def _entry_doc(entry: Entry) -> dict:
    data = entry.content()
    del data["topic"]
    return _compact(data, defaults(Entry, "urgency"))  # a corpus file must name the urgency


def _compact(data: dict, defaults: dict) -> dict:
    """Leave out fields at their default, so exported files stay as short as hand-written ones."""
    return {k: v for k, v in data.items() if k not in defaults or v != defaults[k]}


def _write(path: Path, doc: dict) -> Path:
    _inside(path.parent.resolve(), path)  # never follow a symlink out of the export folder
    path.write_text(_dump(doc), encoding="utf-8")
    return path
