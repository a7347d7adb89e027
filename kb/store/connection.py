"""The SQLite connection: opening, pragmas, one writer at a time, transactions, whole-file copies.

Everything SQLite-specific about *how* the store talks to its database lives here
(WAL, synchronous, busy_timeout, the per-file writer lock, the online backup API);
the concern modules beside it only write SQL. Every concern class derives from
`Connection`, so each reads as one part of the store's interface.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from kb.errors import BackupInvalid
from kb.store.schema import SCHEMA_VERSION, migrate, schema_version

_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_LOCK = threading.Lock()


def _writer_lock(path: str) -> threading.Lock:
    """One writer at a time per database file within this process.

    Threads queue on a Python lock instead of SQLite's busy handler, which sleeps in
    growing steps (1, 2, 5, 10 ms ...): with two server threads writing a recommendation
    each, those sleeps cost a third of the cached throughput. Other processes still meet
    busy_timeout.
    """
    if path == ":memory:":
        return threading.Lock()  # every in-memory database is its own
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(str(Path(path).resolve()), threading.Lock())


def now() -> str:
    """The time stamps the store writes: UTC, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def to_json(value) -> str:
    """Lists and dicts kept in a TEXT column, Chinese left readable."""
    return json.dumps(value, ensure_ascii=False)


class Connection:
    """The knowledge base on disk. One instance per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: str | Path, shared: bool = False):
        """`shared` lets other threads use this connection; the caller then serialises access."""
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=not shared))
        self._writer = _writer_lock(str(path))
        self.db.execute("PRAGMA busy_timeout = 5000")
        self.db.execute("PRAGMA foreign_keys = ON")
        if str(path) != ":memory:":
            self.db.enable_wal()
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: a committed
            # transaction survives a killed process, though power loss may drop the last
            # few. FULL (an fsync per commit) halved recommend throughput.
            self.db.execute("PRAGMA synchronous = NORMAL")
        migrate(self.db)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """All or nothing; foreign keys are checked at commit so rows may arrive in any order.

        BEGIN IMMEDIATE takes the write lock before the first read, so a check-then-write
        (the base version of an edit, whether an outcome was already reported) cannot
        interleave with another connection's; the others wait up to busy_timeout.
        """
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():  # nested: a savepoint
                yield self
            return
        with self._writer:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("PRAGMA defer_foreign_keys = ON")
                yield self
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise

    @property
    def schema_version(self) -> int:
        return schema_version(self.db)

    def _rows(self, sql: str, params=()) -> list[dict]:
        return list(self.db.query(sql, params))

    # whole-database copies ------------------------------------------------------

    def backup(self, target: str | Path) -> None:
        """A consistent copy while others keep writing (SQLite's online backup, page by page)."""
        destination = sqlite3.connect(str(target))
        try:
            self.db.conn.backup(destination, pages=1024)
        finally:
            destination.close()

    def restore(self, source: str | Path) -> None:
        """Replace this database's content with a backup's, after checking the backup is sound."""
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            try:
                sound = origin.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            except sqlite3.DatabaseError as exc:
                raise BackupInvalid(str(source), f"is not a SQLite database ({exc})") from None
            if not sound:
                raise BackupInvalid(str(source), "fails PRAGMA integrity_check")
            version = schema_version(sqlite_utils.Database(origin))
            if not 1 <= version <= SCHEMA_VERSION:
                raise BackupInvalid(str(source), f"schema version {version} is not a kefu-kb one "
                                    f"(this release reads 1 to {SCHEMA_VERSION})")  # fmt: skip
            origin.backup(self.db.conn)
        finally:
            origin.close()
        migrate(self.db)
