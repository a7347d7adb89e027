"""A throwaway PostgreSQL cluster in a temporary folder, for the tests and the benchmarks.

`Cluster.start()` runs initdb and pg_ctl from Debian's `postgresql` package (scripts/test
installs it), on 127.0.0.1 and a free port, with durability off (fsync: a test cluster
is thrown away); `create_database()` gives each test a fresh database; `stop()` removes
it all. As root the server runs as the `postgres` user, which initdb requires.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from server import free_port


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                      key=lambda p: int(Path(p).parent.parent.name))  # fmt: skip
    return Path(versions[-1]).parent if versions else None


class Cluster:
    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="kb-pg-"))
        self.port = free_port()
        self._names = itertools.count(1)
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> Cluster:
        if self._as_postgres:
            shutil.chown(self.folder, "postgres")
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        self.pg_ctl("start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database; its URL."""
        import psycopg

        name = f"kb_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def pg_ctl(self, action: str) -> None:
        """stop (fast) or start the server again: a lost database, and its return."""
        data = self.folder / "data"
        if action == "stop":
            self._run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        else:
            options = (f"-k {self.folder} -p {self.port} -c listen_addresses=127.0.0.1 "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            self._run("pg_ctl", "-D", str(data), "-o", options, "-l",
                      str(self.folder / "log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        try:
            self.pg_ctl("stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def throwaway(wanted: bool = True) -> Iterator[Cluster | None]:
    """A started cluster for a benchmark's `--backend pg` run (None when not wanted), stopped
    afterwards; exits with a hint when PostgreSQL is not installed."""
    if not wanted:
        yield None
        return
    found = binaries()
    if found is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    cluster = Cluster(found).start()
    try:
        yield cluster
    finally:
        cluster.stop()
