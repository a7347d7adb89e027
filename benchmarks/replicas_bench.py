"""Two `kb serve` replicas on one PostgreSQL: how long an edit saved through A takes to be
the top hit of a search on B.

Starts a throwaway PostgreSQL (postgres.py: Debian's binaries), imports the corpus, starts
replicas A and B (lexical search unless --embedder), then for each edit: PUT a new phrasing
(a made-up word) into an entry through A, and search B for that word every 10 ms until the
entry ranks first. Prints the latency from A's 200 to B's first right answer.

    cd benchmarks && python replicas_bench.py --edits 20
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import server as live
from postgres import Cluster, binaries

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.corpus import import_corpus  # noqa: E402
from kb.keys import create as create_key  # noqa: E402
from kb.store import Store  # noqa: E402

# made-up words no entry holds, one per edit, so each search has one right answer
WORDS = ("紫色独角兽", "量子土豆", "银河拖鞋", "机械菠萝", "透明西瓜", "会飞的砧板", "倒立台灯",
         "钢琴乌龟", "隐形雨伞", "彩虹螺丝", "火星面条", "沉默闹钟", "方形月亮", "橡皮海豚",
         "迷你火山", "冰冻烟花", "木头手机", "口袋瀑布", "纸做的锅", "旋转仙人掌")  # fmt: skip
ENTRIES = ("invoice-request", "coupon-cannot-use", "return-7day-no-reason", "refund-progress")


def call(conn, method: str, path: str, key: str, body: dict | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    conn.request(method, path, json.dumps(body).encode() if body else None, headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=20, help="edits to time (at most 20)")
    parser.add_argument("--embedder", default="none", help="the replicas' embedder")
    args = parser.parse_args()
    found = binaries()
    if found is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    cluster = Cluster(found).start()
    folder = Path(tempfile.mkdtemp(prefix="kb-replicas-"))
    replicas = []
    try:
        url = cluster.create_database()
        store = Store(url)
        import_corpus(store, ROOT / "corpus")
        key = create_key(store, "bench", "admin")
        store.close()
        for name in ("a", "b"):
            replicas.append(live.start(url, folder / f"{name}.log", timeout=600,
                                       embedder=args.embedder,
                                       index_cache=str(folder / f"{name}.index")))  # fmt: skip
        (_, port_a), (_, port_b) = replicas
        a = http.client.HTTPConnection("127.0.0.1", port_a, timeout=30)
        b = http.client.HTTPConnection("127.0.0.1", port_b, timeout=30)
        latencies = []
        for i, word in enumerate(WORDS[: args.edits]):
            entry_id = ENTRIES[i % len(ENTRIES)]
            entry = call(a, "GET", f"/api/v1/entries/{entry_id}", key)[1]["entry"]
            status, body = call(a, "PUT", f"/api/v1/entries/{entry_id}", key, entry | {
                "base_version": entry["version"], "questions": [*entry["questions"], word]})
            assert status == 200, body
            saved = time.perf_counter()
            while True:
                status, hits = call(b, "GET", f"/api/v1/search?q={quote(word)}", key)
                if status == 200 and hits["results"] and hits["results"][0]["id"] == entry_id:
                    latencies.append(time.perf_counter() - saved)
                    break
                if time.perf_counter() - saved > 30:
                    sys.exit(f"edit {i} ({entry_id}) not found on B after 30 s")
                time.sleep(0.01)
            time.sleep(0.2)  # let B go idle: the next edit is heard, not found by a search
        ms = sorted(x * 1000 for x in latencies)
        print(f"edit on A -> top hit of a search on B, {len(ms)} edits, "
              f"embedder {args.embedder}, polling B every 10 ms")
        print(f"{'median':>8} {'p90':>8} {'max':>8}   (ms)")
        print(f"{statistics.median(ms):8.1f} {ms[int(0.9 * (len(ms) - 1))]:8.1f} {ms[-1]:8.1f}")
        a.close()
        b.close()
    finally:
        for process, _ in replicas:
            live.stop(process)
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
