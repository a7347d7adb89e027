"""HTTP traffic for the benchmarks: keep-alive JSON clients, distinct queries, percentiles."""

from __future__ import annotations

import http.client
import json
import random
import statistics
import threading
import time

from synthetic import ROOT

from kb.corpus import read_corpus

CJK = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自"
    "二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
    "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变"
    "条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指"
    "几九区强放决西被干做必战先回则任取据处理府研"
)  # common characters, for unique queries


def pct(values: list[float], q: int) -> float:
    """The q-th percentile, within the values (not extrapolated past the largest of a few)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def distinct_queries(n: int, rng: random.Random) -> list[str]:
    """Corpus phrasings, each made unique by a few random characters (so nothing is cached)."""
    phrasings = [q for e in read_corpus(ROOT / "corpus").entries for q in e.questions]
    return [f"{rng.choice(phrasings)} {''.join(rng.sample(CJK, 4))}" for _ in range(n)]


class Client:
    """Keep-alive JSON over http.client: cheap enough not to starve the server of CPU."""

    def __init__(self, port: int, key: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.key = key

    def post(self, path: str, body) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"}
        self.conn.request("POST", path, json.dumps(body, ensure_ascii=False).encode(), headers)
        response = self.conn.getresponse()
        return response.status, json.loads(response.read())


def load(ports: list[int], key: str, bodies: list, path: str, threads: int,
         seconds: float | None = None):  # fmt: skip
    """Send `bodies` round-robin from `threads` clients, client k to ports[k % len(ports)]:
    (per second, latencies in ms, errors). Without `seconds`, each body is sent once."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds if seconds else None

    def worker(offset: int):
        client, mine, i = Client(ports[offset % len(ports)], key), [], offset
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
