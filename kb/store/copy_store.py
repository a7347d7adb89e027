"""Copy a whole store into an empty one, of either backend (`kb migrate-store`).

Every table of the schema, row for row with the same ids (entries with all their
versions, cases, recommendations and outcomes, rollups, flags, tickets, suggestions, API
key hashes, the imports log, settings), in one transaction on the target: foreign keys
are checked at its commit, so the order of tables does not matter, and a failure leaves
the target as empty as it was. The counts are then compared table by table.
"""

from __future__ import annotations

from collections.abc import Callable

from kb.errors import InvalidParameter, KbError
from kb.store.connection import Connection
from kb.store.schema import SCHEMA_VERSION, expected_columns

BATCH = 2000  # rows per executemany: memory stays flat however large the table
_OWN = ("schema_version", "identity")  # meta keys the target keeps: its schema, its own name


def copy_store(source: Connection, target: Connection, begin: Callable[[str], None]
               ) -> dict[str, int]:  # fmt: skip
    """Copy `source` into `target` (`begin` hears each table's name as its copy starts);
    return the rows copied per table. InvalidParameter (nothing written) unless the target
    is empty; KbError if the counts then differ. Stop the servers writing to `source` first:
    what they write during the copy may or may not be in it."""
    tables = expected_columns(SCHEMA_VERSION)
    if held := {t: n for t in tables if (n := _count(target, t))}:
        raise InvalidParameter(f"{target.path} is not empty ({_list(held)}): migrate-store "
                               "copies into an empty database only; nothing was copied", "to")
    with target.transaction():
        for table, columns in sorted(tables.items()):
            begin(table)
            names = ", ".join(sorted(columns))
            rows = source.db.execute(f"SELECT {names} FROM {table}{_where(table)}")
            insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
            while batch := rows.fetchmany(BATCH):
                target.executemany(insert, batch)
            target.follow_ids(table)
    copied = {t: _count(target, t) for t in tables}
    expected = {t: _count(source, t) for t in tables}
    if copied != expected:
        wrong = {t: f"{copied[t]} of {expected[t]}" for t in tables if copied[t] != expected[t]}
        raise KbError(f"the copy in {target.path} differs from {source.path}: {_list(wrong)}")
    return copied


def _where(table: str) -> str:
    """Of meta, only the settings a database does not make for itself."""
    return f" WHERE key NOT IN ({', '.join(repr(k) for k in _OWN)})" if table == "meta" else ""


def _count(store: Connection, table: str) -> int:
    return store.db.execute(f"SELECT count(*) FROM {table}{_where(table)}").fetchone()[0]


def _list(counts: dict) -> str:
    return ", ".join(f"{table} {n}" for table, n in sorted(counts.items()))
