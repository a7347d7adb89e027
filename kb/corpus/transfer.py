"""Import a corpus into the store (validated first, all or nothing) and export it back.

A round trip changes nothing: export writes the head version of everything in the
import format, one file per topic, leaving out fields at their defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import yaml

from kb.corpus.files import PROCESSES_FILE, inside
from kb.corpus.validate import known_ids, read_corpus
from kb.corpus.vectors import VECTORS_FILE, load_vectors
from kb.model import Case, Entry, Process, Topic, defaults
from kb.recommend.routing import ROUTING_FILE, load_routing, save_routing
from kb.store import Store


def _quiet(_: str) -> None:
    pass


def import_corpus(
    store: Store, path: str | Path, author: str = "import", phase: Callable[[str], None] = _quiet
) -> dict[str, int]:
    """Validate then upsert a corpus in one transaction: all of it, or nothing on any error.

    Unchanged entries keep their version, so importing the same corpus twice adds nothing.
    `phase` hears each step begin (a large corpus takes a while: say what it is doing).
    """
    known = known_ids(store)
    phase(f"reading and checking {path}")
    corpus = read_corpus(path, known)
    counts = {
        "topics": len(corpus.topics),
        "processes": len(corpus.processes),
        "entries_new": 0,
        "entries_changed": 0,
        "cases": len(corpus.cases),
    }
    phase(f"saving {len(corpus.entries)} entries and {len(corpus.cases)} cases")
    with store.transaction():
        for topic in corpus.topics:
            store.upsert_topic(topic)
        for process in corpus.processes:
            store.upsert_process(process)
        for entry in corpus.entries:
            _, added = store.save_entry(entry, author, note=f"导入 {path}")
            if added:
                key = "entries_changed" if entry.id in known["entries"] else "entries_new"
                counts[key] += 1
        for case in corpus.cases:
            store.upsert_case(case)
        if corpus.routing is not None:
            save_routing(store, corpus.routing)
        if (Path(path) / VECTORS_FILE).is_file():
            phase("loading the shipped vectors")
        if Path(path).is_dir():
            counts["vectors"] = load_vectors(store, Path(path))
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
    routing = load_routing(store, fallback=False)
    if routing is not None:
        written.append(_write(folder / ROUTING_FILE, {"routing": asdict(routing)}))
    return written


def _entry_doc(entry: Entry) -> dict:
    data = entry.content()
    del data["topic"]
    return _compact(data, defaults(Entry, "urgency"))  # a corpus file must name the urgency


def _compact(data: dict, defaults: dict) -> dict:
    """Leave out fields at their default, so exported files stay as short as hand-written ones."""
    return {k: v for k, v in data.items() if k not in defaults or v != defaults[k]}


def _write(path: Path, doc: dict) -> Path:
    inside(path.parent.resolve(), path)  # never follow a symlink out of the export folder
    path.write_text(_dump(doc), encoding="utf-8")
    return path
