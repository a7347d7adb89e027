"""A database another process locks, or one that cannot be written: a 503 to retry, not a 500."""

from __future__ import annotations

import sqlite3

from kb.errors import DatabaseBusy
from kb.search import built_engine


def _edit(client, title: str):
    entry = client.get("/api/v1/entries/return-7day-no-reason").json["entry"]
    body = {k: v for k, v in entry.items() if k != "version"} | {"title": title}
    return client.put("/api/v1/entries/return-7day-no-reason",
                      json=body | {"base_version": entry["version"]})  # fmt: skip


def test_a_write_on_a_locked_database_is_a_503_with_retry_after_and_reads_go_on(client, app):
    other = sqlite3.connect(app.config["KB"]["db"], isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holding the database
    try:
        response = _edit(client, "改过的标题")
        assert response.status_code == 503, response.json
        assert response.json["error"]["code"] == "database_busy"
        assert response.headers["Retry-After"] == "1"
        assert client.get("/api/v1/health").status_code == 200
        assert client.get("/api/v1/entries?limit=1").status_code == 200
    finally:
        other.execute("ROLLBACK")
        other.close()
    entry = client.get("/api/v1/entries/return-7day-no-reason").json["entry"]
    assert entry["title"] != "改过的标题" and entry["version"] == 1
    assert _edit(client, "改过的标题").status_code == 200


def test_a_database_that_cannot_be_written_is_a_503_and_recovers_without_a_restart(client, app):
    client.get("/api/v1/health")  # the thread's connection is open
    store = app.extensions["kb.stores"].store
    # what SQLite does with a file it was not allowed to write when it opened it (a root
    # test process may write any file, so chmod cannot show it): refuse every write
    store.db.execute("PRAGMA query_only = ON")
    response = _edit(client, "改过的标题")
    assert response.status_code == 503, response.json
    assert response.json["error"]["code"] == "database_read_only"
    assert "Retry-After" in response.headers
    assert client.get("/api/v1/entries/return-7day-no-reason").json["entry"]["version"] == 1
    # the permissions fixed, the next write goes through on a fresh connection
    assert _edit(client, "改过的标题").status_code == 200


def test_a_save_stands_when_the_index_cannot_catch_up_at_once(client, app, monkeypatch):
    """The save is committed before the server waits for its index: a store that fails the
    index's read then must not turn a saved edit into a 503 the editor would retry."""
    assert client.get("/api/v1/search", query_string={"q": "退货"}).status_code == 200
    engine = built_engine(app)

    def busy(wait: bool = False):
        raise DatabaseBusy("database is locked")

    monkeypatch.setattr(engine, "refresh", busy)
    response = _edit(client, "七天无理由退货规则说明")
    assert response.status_code == 200, response.json
    assert response.json["entry"]["version"] == 2
    monkeypatch.undo()  # the store is back: the next search catches up
    found = client.get("/api/v1/search", query_string={"q": "七天无理由退货规则说明"}).json
    assert found["results"][0]["id"] == "return-7day-no-reason"
    assert found["results"][0]["title"] == "七天无理由退货规则说明"
