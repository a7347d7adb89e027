"""`kb serve` for real: a waitress process that builds its database from the corpus."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import server as live

from kb.cli import cli
from kb.store import Store
from tests.conftest import copy_db


def _get(url: str, key: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
        return json.loads(r.read())


@pytest.mark.slow
def test_first_start_imports_the_corpus_prints_a_key_and_serves_entries(tmp_path: Path):
    port = live.free_port()
    db = tmp_path / "fresh" / "kb.db"
    env = {**os.environ, "KB_DB": str(db)}
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "kb.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 600  # seconds when idle (shipped vectors); a busy CI is slow
        while True:
            try:
                health = _get(f"{base}/health")
                break
            except OSError:
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        output = log_path.read_text()
        # the key's own line: a key may end in "-", after which \b finds no word boundary
        key = re.search(r"^\s+(kb_[\w-]{40})$", output, re.MULTILINE).group(1)
        assert health["entries"] >= 80
        with pytest.raises(urllib.error.HTTPError) as refused:
            _get(f"{base}/entries")
        assert refused.value.code == 401
        refused.value.close()
        listing = _get(f"{base}/entries?limit=200", key)
        assert listing["total"] == health["entries"]
        assert any(e["id"] == "return-7day-no-reason" for e in listing["entries"])
        assert db.exists()
    finally:
        server.terminate()
        server.wait(10)
    assert "importing" in output and f"127.0.0.1:{port}" in output
    assert all(f"http://127.0.0.1:{port}/{page}" in output for page in ("sidebar", "author"))


def _raw(port: int, request: bytes) -> bytes:
    """Send bytes as they are (no client would send these) and read the answer to the end."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.slow
def test_slow_clients_cannot_take_health_down_and_are_cut_off(seed_db, tmp_path: Path, runner):
    db = copy_db(seed_db, tmp_path / "db")
    server, port = live.start(db, tmp_path / "serve.log", embedder="none", request_timeout=15)
    slow = []
    try:
        for request, status in ((b"GET /api/v1/health HTTP/1.1\r\nno colon\r\n\r\n", b"400"),
                                (b"POST /api/v1/search HTTP/1.1\r\nHost: x\r\n"
                                 b"Transfer-Encoding: xchunked\r\n\r\n", b"501")):  # fmt: skip
            head, _, body = _raw(port, request).partition(b"\r\n\r\n")
            assert head.split()[1] == status and b"application/json" in head
            assert json.loads(body)["error"]["code"]  # the API's error shape, not text

        for _ in range(150):  # past waitress's own limit of 100 connections
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"GET / HTTP/1.1\r\nX-a: ")
            slow.append(sock)
        for sock in slow:
            sock.sendall(b"a")  # a byte now and then, as slowloris does
        assert _get(f"http://127.0.0.1:{port}/api/v1/health")["status"] == "ok"
        readable, _, _ = select.select(slow, [], [], 0)
        assert not readable  # none was closed yet: they were all open while health answered

        backup = tmp_path / "backup.db"
        Store(db).backup(backup)
        refused = runner.invoke(cli, ["--db", str(db), "restore", str(backup)])
        assert refused.exit_code == 1 and "stop the server first" in refused.output

        for sock in slow:  # each request is cut off once it has taken request_timeout
            sock.settimeout(120)
            assert sock.recv(100) == b""
    finally:
        for sock in slow:
            sock.close()
        live.stop(server)


def test_a_taken_port_is_one_line_and_exit_1(seed_db, tmp_path: Path, runner):
    db = copy_db(seed_db, tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(cli, ["--db", str(db), "serve", "--port", str(port)],
                               env={"KB_EMBEDDER": "none"})  # fmt: skip
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "kefu-kb serving" not in result.output and "Traceback" not in result.output


def _as_nobody(*args: str) -> list[str]:
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *args]


def _nobody_can_run_kb() -> bool:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return False
    probe = subprocess.run(_as_nobody(sys.executable, "-c", "import kb.cli"), cwd="/tmp",
                           env={**os.environ, "HOME": "/tmp"}, capture_output=True)  # fmt: skip
    return probe.returncode == 0


@pytest.mark.skipif(not _nobody_can_run_kb(), reason="needs root, setpriv and a checkout "
                    "the nobody user can read, to make a database it cannot write")  # fmt: skip
@pytest.mark.parametrize("folder_mode", [0o755, 0o777], ids=["folder read-only", "file only"])
def test_a_database_the_server_cannot_write_is_refused_at_start(seed_db, folder_mode):
    folder = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        shutil.copy(seed_db, folder / "kb.db")
        (folder / "kb.db").chmod(0o644)  # root's: the nobody user may read, not write
        folder.chmod(folder_mode)
        result = subprocess.run(
            _as_nobody(sys.executable, "-m", "kb.cli", "--db", str(folder / "kb.db"), "serve",
                       "--port", str(live.free_port())),
            cwd="/tmp", env={**os.environ, "HOME": "/tmp", "KB_EMBEDDER": "none"},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        shutil.rmtree(folder)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {folder / 'kb.db'} cannot be")
    assert "kefu-kb serving" not in result.stdout
