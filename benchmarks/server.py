"""Start `kb serve` as a real process on a free port (benchmarks and the live-server tests)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(db: Path, log: Path, port: int | None = None, timeout: float = 300,
          **env: str) -> tuple[subprocess.Popen, int]:  # fmt: skip
    """`kb serve` on `db`, output to `log` (a pipe nobody reads would fill and block it),
    `env` as KB_* settings; returns once health answers."""
    port = port or free_port()
    settings = {f"KB_{k.upper()}": str(v) for k, v in env.items()}
    environ = {**os.environ, "KB_DB": str(db), "KB_PORT": str(port), **settings}
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve"], env=environ,
                                  stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=2)) as conn:
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    return server, port
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("kb serve did not start:\n" + log.read_text())


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        server.wait(30)
