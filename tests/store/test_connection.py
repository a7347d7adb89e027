"""The SQLite connection: pragmas, transactions (nested ones too), the one writer lock."""

from __future__ import annotations

import sqlite3

import pytest

from kb.model import Topic
from kb.store import Store


def test_wal_and_foreign_keys_are_on(store: Store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_foreign_keys_are_checked_at_commit_and_a_failure_writes_nothing(store: Store):
    with store.transaction():
        store.upsert_topic(Topic("child", "子", parent="parent"))  # parent arrives later
        store.upsert_topic(Topic("parent", "父"))
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        store.upsert_topic(Topic("orphan", "孤儿", parent="missing"))
    assert [t.id for t in store.topics()] == ["child", "parent"]


def test_a_failed_nested_transaction_undoes_only_its_own_writes(store: Store):
    with store.transaction():
        store.upsert_topic(Topic("kept", "保留"))
        with pytest.raises(RuntimeError), store.transaction():
            store.upsert_topic(Topic("undone", "撤销"))
            raise RuntimeError("boom")
    assert [t.id for t in store.topics()] == ["kept"]
