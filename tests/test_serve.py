"""`kb serve` for real: a waitress process that builds its database from the corpus."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_first_start_imports_the_corpus_and_serves_entries(tmp_path: Path):
    port = _free_port()
    db = tmp_path / "fresh" / "kb.db"
    env = {**os.environ, "KB_DB": str(db)}
    server = subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = _get(f"{base}/health")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert health["entries"] >= 80
        listing = _get(f"{base}/entries?limit=200")
        assert listing["total"] == health["entries"]
        assert any(e["id"] == "return-7day-no-reason" for e in listing["entries"])
        assert db.exists()
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert "importing" in output and f"127.0.0.1:{port}" in output
