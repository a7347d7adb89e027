"""The engine's derived state on disk, so that a restart loads its indexes instead of
building them again (jieba over every phrasing and HNSW over every vector: minutes at
100k entries; loading them: seconds).

A snapshot is a folder: `state.pickle` (entries, tokens, postings, lexicon, graph, cases,
the store's change counter they saw; what is held per entry stays pickled entry by entry
until a search reads it, kb/search/packed.py), `dense.faiss` and `case_dense.faiss`
(FAISS's own format) and `key.json`, what made it: the cache format, a digest of the code
that derives it and the versions of the libraries it used, the embedder, the database's
identity and its topics. A snapshot whose key differs in anything is not loaded; the
engine builds from the store (the single source of truth) and writes a new one.

Written whole into a fresh folder, then named in `CURRENT` by an atomic rename: a crash
while writing leaves the previous snapshot, never half of one. Processes on one database
share the folder under a lock file (readers shared, the writer's switch exclusive).
Pickle runs what it loads: the folder is exactly as sensitive as the database beside it,
which anyone able to write there could rewrite too.
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import pickle
import platform
import shutil
import time
import uuid
from contextlib import contextmanager
from functools import cache
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from kb.config import DEFAULTS
from kb.store import is_url

FORMAT = 3  # bump when the layout of a snapshot changes
FAISS_STATE = ("dense", "case_dense")  # saved in FAISS's own files beside the pickle
STALE_PARTIAL = 3600  # seconds after which a half-written snapshot is a crashed writer's
AUTO, OFF = "auto", "off"  # the `index_cache` setting's two words; anything else is a folder
_LIBRARIES = ("jieba", "faiss-cpu", "networkx", "numpy", "opencc")
_CODE = Path(__file__).resolve().parent.parent  # kb/


def folder_for(db: str | Path, setting: str) -> Path | None:
    """The folder the `index_cache` setting names for a database, None when it is off: by
    default beside a SQLite file; for PostgreSQL, in the default data folder of this machine,
    named by database and host (never the password).

    >>> str(folder_for("kb-data/kb.db", "auto")), folder_for("kb.db", "off")
    ('kb-data/kb.db.index', None)
    >>> str(folder_for("postgresql://kb:secret@db.internal:5432/shop", "auto"))
    'kb-data/shop@db.internal.index'
    """
    if setting == OFF:
        return None
    if setting != AUTO:
        return Path(setting)
    if is_url(db):
        url = urlsplit(str(db))
        return Path(DEFAULTS["db"]).parent / f"{url.path.lstrip('/')}@{url.hostname}.index"
    return Path(f"{db}.index")


@cache
def code_digest() -> str:
    """What derived the state: the sources of text, search and graph, the shipped lexicon, the
    libraries' versions. Any change there may change a token or a posting, so it invalidates
    every snapshot by itself, with nothing to remember to bump."""
    digest = hashlib.sha1(platform.python_version().encode())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=?".encode())
    files = [_CODE / "text.py", _CODE / "model.py",
             *sorted((_CODE / "search").glob("*.py")), *sorted((_CODE / "search").glob("*.yaml")),
             *sorted((_CODE / "graph").glob("*.py"))]  # fmt: skip
    for path in files:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def unchanged(saved: dict[str, int], changed: set[str], profile: tuple[int, int, int]) -> bool:
    """Whether the store still holds the entries a snapshot saw: those not saved since
    (`changed`) carry the change numbers it recorded (`saved`), and no other entry is at or
    below its counter; `profile` is (count, sum, sum of squares) of the store's change
    numbers up to the snapshot's (Store.seq_profile).

    >>> unchanged({"a": 1, "b": 2}, {"b"}, (1, 1, 1))  # b was saved since: applied at start
    True
    >>> unchanged({"a": 1, "b": 2}, set(), (1, 1, 1))  # b is older again: a backup put back
    False
    """
    kept = [s for i, s in saved.items() if i not in changed]
    return (len(kept), sum(kept), sum(s * s for s in kept)) == tuple(profile)


class IndexCache:
    """One folder of snapshots; `load` and `save` are all the engine needs."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    @contextmanager
    def _locked(self, mode: int):
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "lock").open("a") as handle:
            fcntl.flock(handle, mode)
            yield

    def load(self, key: dict) -> tuple[dict | None, str]:
        """The state saved under `key`, or None and why not (shown as the engine's start)."""
        if not (self.folder / "CURRENT").is_file():
            return None, "no snapshot"
        with self._locked(fcntl.LOCK_SH):
            try:
                snapshot = self.folder / (self.folder / "CURRENT").read_text().strip()
                saved = json.loads((snapshot / "key.json").read_text())
                if saved != key:
                    differs = sorted(k for k in key.keys() | saved.keys()
                                     if key.get(k) != saved.get(k))  # fmt: skip
                    return None, f"snapshot made with another {', '.join(differs)}"
                gc.collect()  # what is garbage now must not be frozen with the state below
                gc.disable()  # millions of small objects: the collector would rescan them all
                try:
                    with (snapshot / "state.pickle").open("rb") as fh:
                        state = pickle.load(fh)
                    # and, enabled again, at its next collections (1.5 s at 100k entries, then
                    # again as the first edits allocate): the loaded state lives as long as the
                    # engine, so it is moved out of the collector's sight (Engine.close
                    # gives it back)
                    gc.freeze()
                finally:
                    gc.enable()
                for part in FAISS_STATE:
                    if state.get(part) is not None:
                        state[part].read(str(snapshot / f"{part}.faiss"))
            except Exception as exc:  # any damage means: build from the store
                return None, f"snapshot unreadable ({type(exc).__name__}: {exc})"[:200]
        return state, ""

    def save(self, key: dict, state: dict) -> None:
        """Write `state` as the new snapshot and drop the older ones."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"snapshot-{uuid.uuid4().hex[:12]}"
        staged = self.folder / f"{name}.partial"
        staged.mkdir()
        try:
            with (staged / "state.pickle").open("wb") as fh:
                pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
            for part in FAISS_STATE:
                if state.get(part) is not None:
                    state[part].write(str(staged / f"{part}.faiss"))
            (staged / "key.json").write_text(json.dumps(key, indent=1))
            staged.rename(self.folder / name)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        with self._locked(fcntl.LOCK_EX):
            pointer = self.folder / f"CURRENT.{name}"
            pointer.write_text(name + "\n")
            pointer.replace(self.folder / "CURRENT")
            for old in self.folder.glob("snapshot-*"):
                writing = old.name.endswith(".partial")
                if old.name != name and (not writing or _age(old) > STALE_PARTIAL):
                    shutil.rmtree(old, ignore_errors=True)


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0
