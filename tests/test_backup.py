"""`kb backup` while writes go on, and `kb restore` that brings everything back."""

from __future__ import annotations

import threading
from pathlib import Path

from kb.cli import cli
from kb.corpus import import_corpus
from kb.keys import authenticate, create
from kb.model import Outcome, Recommendation
from kb.recommend.rules import reveals_gap, served
from kb.store import Store


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
    store.record_outcomes([Outcome("r1", "takeover", "人工处理", "return-quality")],
                          served=served, gap=reveals_gap)
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
