"""The connections: SQLite's pragmas, transactions (nested ones too) on both backends."""

from __future__ import annotations

import pytest

from kb.model import Topic
from kb.store import SqliteStore, Store


def test_wal_and_foreign_keys_are_on(db_path):
    store = SqliteStore(db_path)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_foreign_keys_are_checked_at_commit_and_a_failure_writes_nothing(store: Store,
                                                                          integrity_error):
    with store.transaction():
        store.upsert_topic(Topic("child", "子", parent="parent"))  # parent arrives later
        store.upsert_topic(Topic("parent", "父"))
    with pytest.raises(integrity_error), store.transaction():
        store.upsert_topic(Topic("orphan", "孤儿", parent="missing"))
    assert [t.id for t in store.topics()] == ["child", "parent"]


def test_a_failed_nested_transaction_undoes_only_its_own_writes(store: Store):
    with store.transaction():
        store.upsert_topic(Topic("kept", "保留"))
        with pytest.raises(RuntimeError), store.transaction():
            store.upsert_topic(Topic("undone", "撤销"))
            raise RuntimeError("boom")
    assert [t.id for t in store.topics()] == ["kept"]


def test_a_committed_change_is_announced_to_a_waiting_store(store: Store, mini_corpus):
    from kb.corpus import import_corpus

    other = Store(store.path if isinstance(store, SqliteStore) else store.url)
    assert other.wait_for_change(0.05) is False  # nothing saved: the wait runs out
    import_corpus(store, mini_corpus)
    # PostgreSQL announces (LISTEN/NOTIFY); SQLite cannot, and its callers read the counter
    assert other.wait_for_change(5) is (not isinstance(store, SqliteStore))
    assert other.changed_since(0)[0] == ["return-7day", "return-quality"]
    other.close()


def test_one_writer_at_a_time_and_a_writer_kept_waiting_is_busy(store: Store):
    from kb.errors import DatabaseBusy
    from kb.model import Case

    other = Store(store.path if isinstance(store, SqliteStore) else store.url)
    with other.transaction():
        other.upsert_topic(Topic("held", "占着"))
        with pytest.raises(DatabaseBusy):  # after BUSY_WAIT, as SQLite's BEGIN IMMEDIATE
            store.upsert_case(Case("c", [], "能退吗", "已退"))
    assert store.ids("cases") == set() and [t.id for t in store.topics()] == ["held"]
    other.close()


def test_a_read_only_postgresql_database_refuses_writes_with_a_clear_error(pg_url):
    from kb.errors import DatabaseReadOnly

    Store(pg_url).db.execute(f"ALTER DATABASE {pg_url.rsplit('/', 1)[1]} "
                             "SET default_transaction_read_only = on")  # fmt: skip
    store = Store(pg_url)  # reads still work: the schema is checked, not written
    with pytest.raises(DatabaseReadOnly) as err:
        store.check_writable()
    assert "cannot be written" in err.value.message and err.value.status == 503
    assert store.topics() == []
    store.close()


def test_a_password_given_as_a_url_parameter_is_never_shown(pg_url):
    """libpq takes a password in the query string as well as before the host."""
    from server import free_port

    from kb.errors import DatabaseUnreachable

    store = Store(f"{pg_url}?password=secret&application_name=kb")  # trust: the password unused
    assert "secret" not in store.path and "application_name=kb" in store.path
    store.close()
    with pytest.raises(DatabaseUnreachable) as err:
        Store(f"postgresql://kb@127.0.0.1:{free_port()}/kb?sslmode=disable&password=secret")
    assert "secret" not in err.value.message and "sslmode=disable" in err.value.message
