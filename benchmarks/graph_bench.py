"""Knowledge-graph speed at 10k and 100k entries: build from the store, patch one edit, lint.

python benchmarks/graph_bench.py [--sizes 10000,100000] [--edits 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from synthetic import write_db

from kb.graph.build import KnowledgeGraph
from kb.graph.lint import check
from kb.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--edits", type=int, default=50)
    args = parser.parse_args()
    print(f"{'entries':>8} {'cases':>8} {'nodes':>8} {'edges':>8} {'build s':>8} "
          f"{'patch p50 ms':>12} {'patch p99 ms':>12} {'lint s':>7}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for size in [int(s) for s in args.sizes.split(",")]:
            path = Path(folder) / f"g{size}.db"
            entries = write_db(path, size, with_cases=True)
            store = Store(path)
            t = time.perf_counter()
            kg = KnowledgeGraph.from_store(store)
            build = time.perf_counter() - t
            patches = []
            for i, entry in enumerate(entries[: args.edits]):
                edited = replace(entry, keywords={**entry.keywords, f"新词{i}": ["同义"]})
                store.save_entry(edited, "bench")
                t = time.perf_counter()
                kg.refresh(store)
                patches.append(time.perf_counter() - t)
            t = time.perf_counter()
            findings = check(kg)
            lint = time.perf_counter() - t
            patches.sort()
            print(f"{size:>8} {store.totals()['cases']:>8} {kg.g.number_of_nodes():>8} "
                  f"{kg.g.number_of_edges():>8} {build:>8.2f} "
                  f"{statistics.median(patches) * 1000:>12.2f} "
                  f"{patches[int(0.99 * (len(patches) - 1))] * 1000:>12.2f} {lint:>7.2f}"
                  f"  ({len(findings)} findings)", flush=True)  # fmt: skip
            store.close()
    print("\npatch = one saved entry applied to the graph (refresh: read it, replace its edges)")


if __name__ == "__main__":
    main()
