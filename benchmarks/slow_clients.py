"""Health latency while slow clients hold sockets open (slowloris): the server must still answer.

Opens `--sockets` connections that send a partial request line and header, then a byte
every few seconds, and times `/api/v1/health` meanwhile.

    python benchmarks/slow_clients.py [--sockets 150] [--requests 50] [--embedder none]
"""

from __future__ import annotations

import argparse
import http.client
import socket
import tempfile
import time
from contextlib import closing
from pathlib import Path

import server
from load_bench import fresh_db
from traffic import pct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=150)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--embedder", default="none")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, _ = fresh_db(Path(tmp))
        process, port = server.start(db, db.parent / "serve.log", embedder=args.embedder)
        slow = []
        try:
            for _ in range(args.sockets):
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                sock.sendall(b"GET / HTTP/1.1\r\nX-a: ")
                slow.append(sock)
            latencies, failed = [], 0
            for i in range(args.requests):
                if i % 10 == 0:
                    for sock in slow:
                        sock.sendall(b"a")
                started = time.perf_counter()
                try:
                    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=10)) as c:
                        c.request("GET", "/api/v1/health")
                        ok = c.getresponse().status == 200
                except OSError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                failed += not ok
                time.sleep(0.1)
        finally:
            for sock in slow:
                sock.close()
            server.stop(process)
    print(f"{args.sockets} slow sockets open: health {len(latencies)} answered, {failed} failed; "
          f"p50 {pct(latencies, 50):.1f} ms, "
          f"max {max(latencies):.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
