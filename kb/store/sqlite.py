"""The SQLite backend: opening, pragmas, one writer at a time, transactions, whole-file copies.

Everything SQLite-specific about *how* the store talks to its database lives here
(WAL, synchronous, busy_timeout, the per-file writer lock, the online backup API, the
lock file that keeps a restore from running under a server); the concern modules only
write SQL, through `Connection` (connection.py).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import sqlite_utils

from kb.errors import (
    BackupInvalid,
    DatabaseBusy,
    DatabaseInUse,
    DatabaseReadOnly,
    Unavailable,
)
from kb.store.connection import BUSY_WAIT, Connection
from kb.store.schema import SCHEMA_VERSION, columns, expected_columns, migrate, schema_version

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


class SqliteConnection(Connection):
    """A database file. One instance per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: str | Path, shared: bool = False):
        """`shared` lets other threads use this connection; the caller then serialises access."""
        self.path = Path(path)
        self._shared = shared
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = _writer_lock(str(path))
        self._open()

    def _open(self) -> None:
        try:
            self._connect()
        except sqlite3.OperationalError as exc:
            if (exc.sqlite_errorname or "").startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
                raise DatabaseReadOnly(f"{self.path} cannot be opened for writing ({exc}): "
                                       f"check the permissions of the file and its folder") from exc
            raise

    def check_writable(self) -> None:
        """Raise DatabaseReadOnly unless a write goes through (a server checks at start)."""
        with self.transaction():
            self.db.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")

    def _connect(self) -> None:
        path = str(self.path)
        self.db = sqlite_utils.Database(sqlite3.connect(path, check_same_thread=not self._shared))
        self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_WAIT * 1000)}")
        self.db.execute("PRAGMA foreign_keys = ON")
        if path != ":memory:":
            self.db.enable_wal()
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: a committed
            # transaction survives a killed process, though power loss may drop the last
            # few. FULL (an fsync per commit) halved recommend throughput.
            self.db.execute("PRAGMA synchronous = NORMAL")
        migrate(self.db)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[SqliteConnection]:
        """All or nothing; foreign keys are checked at commit so rows may arrive in any order.

        BEGIN IMMEDIATE takes the write lock before the first read, so a check-then-write
        (the base version of an edit, whether an outcome was already reported) cannot
        interleave with another connection's; the others wait up to BUSY_WAIT, then get
        DatabaseBusy (a 503 the caller retries).
        """
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():  # nested: a savepoint
                yield self
            return
        if not self._writer.acquire(timeout=BUSY_WAIT):
            raise DatabaseBusy(f"another write held the database for {BUSY_WAIT:g} s")
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("PRAGMA defer_foreign_keys = ON")
            yield self
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.rollback()
            if unavailable := self._unavailable(exc):
                raise unavailable from exc
            raise
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        finally:
            self._writer.release()

    def _unavailable(self, exc: sqlite3.OperationalError) -> Unavailable | None:
        """A write SQLite refused for now, as the error a caller can retry on; else None.

        SQLite opens a file it may not write read-only and keeps it so: the connection is
        reopened, so a write after the operator fixed the permissions succeeds.
        """
        name = exc.sqlite_errorname or ""  # None when the error is Python's, not SQLite's
        if name in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            return DatabaseBusy(f"another process held the database for {BUSY_WAIT:g} s")
        if name.startswith("SQLITE_READONLY"):
            self.db.close()
            self._open()
            return DatabaseReadOnly(f"{self.path} cannot be written ({exc}); reads still work")
        return None

    @property
    def schema_version(self) -> int:
        return schema_version(self.db)

    def executemany(self, sql: str, rows) -> None:
        self.db.conn.executemany(sql, rows)

    # whole-database copies ------------------------------------------------------

    def backup(self, target: str | Path) -> None:
        """A consistent copy while others keep writing (SQLite's online backup, page by page)."""
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        destination = sqlite3.connect(str(target))
        try:
            self.db.conn.backup(destination, pages=1024)
        finally:
            destination.close()

    def hold_for_serving(self) -> IO:
        """Mark the database as served for as long as the returned file stays open (a shared
        lock on a file beside it; the process's exit lets go), so `restore` refuses to pull
        it from under a running server. Several servers may share one database."""
        handle = _lock_path(self.path).open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DatabaseInUse(f"{self.path} is being restored; start the server after") from None
        return handle

    def restore(self, source: str | Path) -> None:
        """Replace this database with a backup: the backup is checked whole, copied and migrated
        in a file beside this one, then renamed over it. Until that succeeded the replaced
        database is kept beside it too, and put back on any failure."""
        source = Path(source)
        staged = self.path.with_name(self.path.name + ".restoring")
        kept = self.path.with_name(self.path.name + ".replaced")
        with _lock_path(self.path).open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DatabaseInUse(f"{self.path} is being served (kb serve); stop the server "
                                    "first; nothing was restored") from None  # fmt: skip
            staged.unlink(missing_ok=True)
            kept.unlink(missing_ok=True)
            try:
                _stage(source, staged)
            except BaseException:
                staged.unlink(missing_ok=True)
                raise
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.close()
            os.link(self.path, kept)
            os.replace(staged, self.path)
            try:
                self._open()
            except BaseException:
                os.replace(kept, self.path)
                self._open()
                raise
            kept.unlink()


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _read_only(path: Path) -> sqlite3.Connection:
    """Open a file read-only, its name taken as a path (`?`, `#` and `%` are not URI syntax)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _stage(source: Path, staged: Path) -> None:
    """Check a backup whole, then copy it to `staged` and migrate it there."""
    origin = _read_only(source)
    try:
        _check_backup(origin, str(source))
        target = sqlite3.connect(str(staged))
        try:
            origin.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")  # one file, renamed into place
            migrate(sqlite_utils.Database(target))
            # a new identity at first ask: caches derived from the database this one was
            # copied from must not be taken for its own (kb/search/index_cache.py)
            target.execute("DELETE FROM meta WHERE key = 'identity'")
            target.commit()
        finally:
            target.close()
    finally:
        origin.close()


def _check_backup(origin: sqlite3.Connection, name: str) -> None:
    """Everything a database needs before it replaces ours, or BackupInvalid saying what fails."""
    try:
        sound = origin.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError as exc:
        raise BackupInvalid(name, f"is not a SQLite database ({exc})") from None
    if not sound:
        raise BackupInvalid(name, "fails PRAGMA integrity_check")
    db = sqlite_utils.Database(origin)
    try:
        version = schema_version(db)
    except ValueError:
        raise BackupInvalid(name, "its schema version is not a number") from None
    if not 1 <= version <= SCHEMA_VERSION:
        raise BackupInvalid(name, f"schema version {version} is not a kefu-kb one "
                            f"(this release reads 1 to {SCHEMA_VERSION})")  # fmt: skip
    found = columns(db)
    for table, wanted in expected_columns(version).items():
        if table not in found:
            raise BackupInvalid(name, f"has no table {table} (schema version {version} has one)")
        if missing := wanted - found[table]:
            raise BackupInvalid(name, f"table {table} lacks columns {', '.join(sorted(missing))}")
    if origin.execute("PRAGMA foreign_key_check").fetchone():
        raise BackupInvalid(name, "fails PRAGMA foreign_key_check")
