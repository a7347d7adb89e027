"""Every store test runs against both backends: a SQLite file and a PostgreSQL database."""

from __future__ import annotations

import sqlite3

import pytest

from kb.store import SqliteStore, Store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, db_path):
    target = db_path if request.param == "sqlite" else request.getfixturevalue("pg_url")
    s = Store(target)
    yield s
    s.close()


@pytest.fixture
def integrity_error(store):
    """The driver's exception for a broken constraint (the store passes it through)."""
    if isinstance(store, SqliteStore):
        return sqlite3.IntegrityError
    import psycopg

    return psycopg.IntegrityError
