"""No acknowledged event is lost: concurrent feedback through a live server, and a SIGKILL."""

from __future__ import annotations

import http.client
import json
import signal
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
import server as live

from kb.keys import create as create_key
from kb.store import Store

KEY = [""]  # the admin key of the running server
QUERIES = ["优惠券用不了", "发票怎么开", "退货运费谁出", "快递员说我的件找不到了", "讲个笑话"]


def post(conn: http.client.HTTPConnection, path: str, body: dict) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {KEY[0]}"}
    conn.request("POST", path, json.dumps(body).encode(), headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read())


@pytest.fixture
def server(seed_store, tmp_path: Path):
    """`kb serve` on a copy of the seed database (lexical search: no model to load)."""
    KEY[0] = create_key(seed_store, "durable", "admin")
    process, port = live.start(seed_store.path, tmp_path / "server.log", timeout=90,
                               embedder="none", threads=4)  # fmt: skip
    yield process, port
    live.stop(process)


def test_feedback_from_many_threads_is_all_counted(server, seed_store):
    _, port = server
    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=30)) as conn:
        made = [post(conn, "/api/v1/recommend", {"query": QUERIES[i % 4]})[1] for i in range(160)]
    ids = [m["recommendation_id"] for m in made if m["decision"] != "handoff"]
    errors = []

    def report(share: list[str], batch: bool):
        with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=30)) as c:
            send(c, share, batch)

    def send(c, share: list[str], batch: bool):
        if batch:
            items = [{"recommendation_id": i, "outcome": "takeover"} for i in share]
            for k in range(0, len(items), 5):
                status, body = post(c, "/api/v1/feedback/batch", {"items": items[k : k + 5]})
                errors.extend([body] if status != 200 else [])
        else:
            for i in share:
                status, body = post(c, "/api/v1/feedback", {"recommendation_id": i,
                                                             "outcome": "takeover"})  # fmt: skip
                errors.extend([body] if status != 200 else [])

    threads = [threading.Thread(target=report, args=(ids[k::8], k % 2 == 0)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stats = seed_store.version_stats("0000")
    assert sum(s.takeovers for s in stats) == len(ids)
    assert sum(s.served for s in stats) == len(ids)
    rows = seed_store.db.execute(
        "SELECT count(*) FROM recommendations WHERE outcome = 'takeover'"
    ).fetchone()
    assert rows[0] == len(ids)


def test_every_acknowledged_event_survives_a_sigkill(server, seed_store):
    process, port = server
    acknowledged_recs: list[str] = []
    acknowledged_outcomes: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def traffic(k: int):
        with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=10)) as conn:
            send(conn, k)

    def send(conn, k: int):
        n = 0
        while not stop.is_set():
            try:
                status, body = post(conn, "/api/v1/recommend", {"query": QUERIES[(k + n) % 5]})
                if status != 200:
                    continue
                with lock:
                    acknowledged_recs.append(body["recommendation_id"])
                outcome = {"recommendation_id": body["recommendation_id"], "outcome": "resolved"}
                status, _ = post(conn, "/api/v1/feedback", outcome)
                if status == 200:
                    with lock:
                        acknowledged_outcomes.append(body["recommendation_id"])
            except (OSError, http.client.HTTPException):
                return  # the server is gone
            n += 1

    threads = [threading.Thread(target=traffic, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged_outcomes) > 20  # the kill really came mid-stream

    store = Store(seed_store.path)  # opening recovers the WAL
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for rec_id in acknowledged_recs:
        store.recommendation(rec_id)  # raises if lost
    outcomes = dict(store.db.execute("SELECT id, outcome FROM recommendations").fetchall())
    assert all(outcomes[i] == "resolved" for i in acknowledged_outcomes)
    store.close()


def test_every_acknowledged_edit_survives_a_sigkill(server, seed_store):
    process, port = server
    saved: list[tuple[str, int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def get(conn, path):
        conn.request("GET", path, headers={"Authorization": f"Bearer {KEY[0]}"})
        response = conn.getresponse()
        return json.loads(response.read())

    def put(conn, path, body):
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {KEY[0]}"}
        conn.request("PUT", path, json.dumps(body).encode(), headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())

    def editor(k: int):
        entry_id = ["coupon-cannot-use", "invoice-request"][k % 2]
        with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=10)) as conn:
            n = 0
            while not stop.is_set():
                try:
                    entry = get(conn, f"/api/v1/entries/{entry_id}")["entry"]
                    marker = f"[edit {k}-{n}]"
                    status, body = put(conn, f"/api/v1/entries/{entry_id}", entry | {
                        "base_version": entry["version"], "solution": marker})  # fmt: skip
                    if status == 200:
                        with lock:
                            saved.append((entry_id, body["entry"]["version"], marker))
                    else:
                        assert status == 409, body  # a race is a conflict, never a lost edit
                except (OSError, http.client.HTTPException):
                    return
                n += 1

    threads = [threading.Thread(target=editor, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    stop.set()
    for t in threads:
        t.join()
    assert len(saved) > 10

    store = Store(seed_store.path)
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for entry_id, version, marker in saved:
        assert store.entry_version(entry_id, version).solution == marker
    store.close()
