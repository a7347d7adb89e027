"""`kb backup` while writes go on, and `kb restore` that brings everything back."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlite_utils

from kb.cli import cli
from kb.corpus import import_corpus
from kb.keys import authenticate, create
from kb.model import Outcome, Recommendation
from kb.recommend.rules import reveals_gap, served
from kb.store import SCHEMA_VERSION, Store, migrate


def snapshot(store: Store) -> dict:
    return {
        "entries": {e.id: (e.version, e.solution, e.status) for e in store.entries()},
        "versions": store.db.execute("SELECT count(*) FROM entry_versions").fetchone()[0],
        "recommendations": store.db.execute(
            "SELECT id, outcome FROM recommendations ORDER BY id"
        ).fetchall(),
        "keys": [k["name"] for k in store.api_keys()],
        "cases": len(store.cases()),
    }


def test_backup_while_writing_then_restore_finds_everything(store, mini_corpus, runner, tmp_path):
    import_corpus(store, mini_corpus)
    key = create(store, "ops", "admin")
    rec = Recommendation("r1", "2026-11-20T10:00:00+00:00", "能退吗", "能退吗", "answer",
                         "confident_match", "calm", "medium", 0.9, "return-7day", 1,
                         ["return-7day"])  # fmt: skip
    store.add_recommendation(rec, served=served)
    store.record_outcomes(
        [Outcome("r1", "takeover", "人工处理", "return-quality")], served=served, gap=reveals_gap
    )
    entry = store.get_entry("return-7day")
    entry.solution = "第二版答复"
    store.save_entry(entry, "editor-1", base_version=1)

    stop = threading.Event()

    def writer():  # another process would do this; a thread with its own connection will do
        other = Store(store.path)
        n = 0
        while not stop.is_set():
            other.set_meta("heartbeat", str(n))
            n += 1
        other.close()

    thread = threading.Thread(target=writer)
    thread.start()
    backup = tmp_path / "backups" / "kb.db"
    result = runner.invoke(cli, ["--db", str(store.path), "backup", str(backup)])
    stop.set()
    thread.join()
    assert result.exit_code == 0, result.output
    expected = snapshot(store)

    copy = Store(backup)
    assert copy.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert snapshot(copy) == expected
    copy.close()

    entry = store.get_entry("return-7day")
    entry.status = "retired"
    store.save_entry(entry, "editor-2", base_version=2)
    store.revoke_key("ops")
    assert snapshot(store) != expected

    result = runner.invoke(cli, ["--db", str(store.path), "restore", str(backup)])
    assert result.exit_code == 0, result.output
    again = Store(store.path)
    assert snapshot(again) == expected
    assert authenticate(again, key).name == "ops"
    again.close()


def test_restore_refuses_a_file_that_is_not_a_kb_database(store, mini_corpus, runner, tmp_path):
    import_corpus(store, mini_corpus)
    before = snapshot(store)
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    result = runner.invoke(cli, ["--db", str(store.path), "restore", str(bogus)])
    assert result.exit_code == 1 and "nothing was restored" in result.output
    assert snapshot(Store(store.path)) == before


def test_backup_never_overwrites(runner, db_path: Path, tmp_path):
    target = tmp_path / "exists.db"
    target.write_text("keep me")
    result = runner.invoke(cli, ["--db", str(db_path), "backup", str(target)])
    assert result.exit_code == 2 and target.read_text() == "keep me"


def _meta_only(path: Path, version: str) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", [version])
    conn.commit()
    conn.close()
    return path


def _dangling_case(path: Path) -> Path:
    """A full kb database whose case points at an entry that is gone."""
    s = Store(path)
    s.db.execute("PRAGMA foreign_keys = OFF")
    s.db.execute("INSERT INTO cases (id, customer, action, outcome) VALUES ('c', 'x', 'y', 'z')")
    s.db.execute("INSERT INTO case_entries VALUES ('c', 0, 'no-such-entry')")
    s.db.conn.commit()
    s.close()
    return path


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: _meta_only(p, "6"), "has no table"),
    (lambda p: _meta_only(p, "3"), "has no table"),
    (lambda p: _meta_only(p, "abc"), "schema version is not a number"),
    (_dangling_case, "foreign_key_check"),
], ids=["meta-only-v6", "meta-only-v3", "version-abc", "dangling-reference"])  # fmt: skip
def test_restore_checks_the_backup_whole_and_leaves_the_database_alone(
    store, mini_corpus, runner, tmp_path, make, message
):
    import_corpus(store, mini_corpus)
    before = snapshot(store)
    bogus = make(tmp_path / "bogus.db")
    result = runner.invoke(cli, ["--db", str(store.path), "restore", str(bogus)])
    assert result.exit_code == 1, result.output
    assert message in result.output and "nothing was restored" in result.output
    assert result.output.count("\n") == 1  # one line, no traceback
    again = Store(store.path)
    assert snapshot(again) == before
    again.close()
    assert not any(p.name.endswith((".restoring", ".replaced")) for p in tmp_path.iterdir())


def test_an_older_backup_is_migrated_beside_the_database_then_swapped_in(
    store, mini_corpus, runner, tmp_path
):
    import_corpus(store, mini_corpus)
    old = sqlite_utils.Database(tmp_path / "v3.db")
    migrate(old, 3)
    old["topics"].insert({"id": "old-topic", "name": "旧"})
    old.close()
    result = runner.invoke(cli, ["--db", str(store.path), "restore", str(tmp_path / "v3.db")])
    assert result.exit_code == 0, result.output
    again = Store(store.path)
    assert again.schema_version == SCHEMA_VERSION
    assert [t.id for t in again.topics()] == ["old-topic"] and again.entries() == []
    again.close()
    assert not any(p.name.endswith((".restoring", ".replaced")) for p in tmp_path.iterdir())


def test_a_file_name_is_a_path_not_an_sqlite_uri(store, mini_corpus, runner, tmp_path):
    import_corpus(store, mini_corpus)
    before = snapshot(store)
    decoy = Store(tmp_path / "decoy.db")  # a sound, empty kb database
    decoy.close()
    for name in ("decoy.db?x=1", "decoy.db#x", "decoy%2Edb"):
        (tmp_path / name).write_bytes(b"not a database" * 100)
        result = runner.invoke(cli, ["--db", str(store.path), "restore", str(tmp_path / name)])
        assert result.exit_code == 1 and "is not a SQLite database" in result.output, name
    assert snapshot(Store(store.path)) == before


def test_restore_is_refused_while_a_server_holds_the_database(store, mini_corpus, runner, tmp_path):
    import_corpus(store, mini_corpus)
    backup = tmp_path / "backup.db"
    store.backup(backup)
    entry = store.get_entry("return-7day")
    entry.solution = "第二版答复"
    store.save_entry(entry, "editor-1", base_version=1)
    before = snapshot(store)
    serving = Store(store.path).hold_for_serving()  # what `kb serve` does at start
    result = runner.invoke(cli, ["--db", str(store.path), "restore", str(backup)])
    assert result.exit_code == 1 and "stop the server first" in result.output
    assert snapshot(Store(store.path)) == before
    serving.close()
    result = runner.invoke(cli, ["--db", str(store.path), "restore", str(backup)])
    assert result.exit_code == 0, result.output
