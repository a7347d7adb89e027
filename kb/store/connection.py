"""What the concern classes write their SQL through; a backend provides it.

Every concern class derives from `Connection`, so each reads as one part of the store's
interface; `SqliteConnection` (sqlite.py) and `PgConnection` (pg.py) fill it in, and the
`Store` front picks one by the database named. The concern modules hold the one copy of
each statement, in SQL both backends accept: `?` placeholders (pg.py turns them into
`%s`), `ON CONFLICT` upserts, `RETURNING` for new ids, and TEXT for time stamps and JSON.

A backend provides:

    db                   `execute(sql, params)` -> a cursor (tuples: fetchone, fetchall,
                         rowcount, iteration); `query(sql, params)` -> dicts
    executemany(sql, rows)
    follow_ids(table)    after a copy kept the ids (copy_store.py)
    wait_for_change(timeout)  block until another process saved an entry or a case
    transaction()        all or nothing, one writer at a time (a check-then-write cannot
                         interleave with another's), foreign keys checked at commit; nests
    schema_version, close(), check_writable(), backup(), restore(), hold_for_serving()
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

# How long a write waits for another writer (a thread here, another process or replica)
# before it gives up with DatabaseBusy: long enough for any write of ours (an import commits
# in about a second), short enough that queued writers cannot hold every server thread long.
BUSY_WAIT = 3.0
URL_SCHEMES = ("postgresql://", "postgres://")  # what names a PostgreSQL database; else a file


def holding(text: str) -> str:
    r"""A LIKE pattern (with ESCAPE '\') for values that hold `text`, whose % and _ are then
    plain characters.

    >>> holding("7天_100%")
    '%7天\\_100\\%%'
    """
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def is_url(target) -> bool:
    """Whether `target` names a PostgreSQL database rather than a SQLite file.

    >>> is_url("postgresql://kb@db.internal/kb"), is_url("kb-data/kb.db")
    (True, False)
    """
    return str(target).startswith(URL_SCHEMES)


def now() -> str:
    """The time stamps the store writes: UTC, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def to_json(value) -> str:
    """Lists and dicts kept in a TEXT column, Chinese left readable."""
    return json.dumps(value, ensure_ascii=False)


class Connection:
    """The part of the store every backend provides (see the module docstring)."""

    def _rows(self, sql: str, params=()) -> list[dict]:
        return list(self.db.query(sql, params))

    def wait_for_change(self, timeout: float) -> bool:
        """Block until another process commits an entry or case, or `timeout` passes; whether
        one was announced. SQLite announces nothing: this waits, and the caller looks at the
        change counter (Entries.changed_since) either way."""
        time.sleep(timeout)
        return False

    def follow_ids(self, table: str) -> None:
        """After rows were copied in with their ids, let the table's id generator continue
        past them. SQLite's INTEGER PRIMARY KEY does by itself."""

    def _insert(self, table: str, row: dict) -> None:
        """One row from a dict whose keys are the table's column names (code-given, not user)."""
        self.db.execute(f"INSERT INTO {table} ({', '.join(row)}) "
                        f"VALUES ({', '.join('?' * len(row))})", list(row.values()))  # fmt: skip
