"""Migrations: a database from an older release is brought up to date."""

from __future__ import annotations

import sqlite_utils

from kb.store import SCHEMA_VERSION, Store, migrate


def test_a_database_from_an_older_release_is_migrated(db_path):
    old = sqlite_utils.Database(str(db_path))
    migrate(old, upto=1)
    old.execute("INSERT INTO topics (id, name) VALUES ('returns', '退货退款')")
    old.conn.commit()
    assert not old["imports"].exists()
    old.close()

    store = Store(db_path)
    assert store.schema_version == SCHEMA_VERSION == 11
    assert [t.id for t in store.topics()] == ["returns"]
    store.record_import(
        "x",
        "me",
        {"topics": 1, "processes": 0, "entries_new": 0, "entries_changed": 0, "cases": 0},
    )
    assert store.last_import()["source"] == "x"


def test_a_postgresql_database_from_an_older_release_is_migrated(pg_url):
    from kb.store.pg import PgDatabase, ddl

    old = PgDatabase(pg_url)
    migrate(old, upto=1, ddl=ddl)
    old.execute("INSERT INTO topics (id, name) VALUES ('returns', '退货退款')")
    assert "imports" not in old.table_names()
    old.close()

    store = Store(pg_url)
    assert store.schema_version == SCHEMA_VERSION
    assert [t.id for t in store.topics()] == ["returns"]
    assert Store(pg_url).schema_version == SCHEMA_VERSION  # a second opener migrates nothing


def test_titles_saved_before_they_were_folded_are_found_by_their_simplified_form(db_path):
    old = sqlite_utils.Database(str(db_path))
    migrate(old, upto=10)
    old.execute("INSERT INTO topics (id, name) VALUES ('returns', '退货退款')")
    old.execute(
        "INSERT INTO entries (id, topic_id, title, questions, solution, urgency, handoff, "
        "status, version, live_version, updated_at, updated_by) VALUES ('tw', 'returns', "
        "'海外購退貨', '[]', '可以退', 'medium', 'never', 'published', 1, 1, '2026-01-01', 'me')"
    )
    old.conn.commit()
    old.close()

    store = Store(db_path)
    assert [e.id for e in store.entries(containing="退货")] == ["tw"]
