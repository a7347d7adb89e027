"""The authoring UI on a knowledge base just imported: no traffic yet, every panel says so."""

from __future__ import annotations

import pytest
import server as live

from kb.keys import create
from kb.store import Store
from tests.conftest import copy_db

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(seed_db, tmp_path_factory):
    """(base url, keys by role, database path): the seed corpus with no traffic at all."""
    folder = tmp_path_factory.mktemp("fresh-site")
    db = copy_db(seed_db, folder)
    store = Store(db)
    keys = {role: create(store, f"fresh-{role}", role) for role in ("agent", "editor")}
    store.close()
    process, port = live.start(db, folder / "serve.log")
    yield f"http://127.0.0.1:{port}", keys, db
    live.stop(process)


def test_the_dashboard_of_a_new_knowledge_base_says_there_is_no_traffic(open_page):
    page = open_page("/author#dashboard", role="editor")
    panel = page.locator("section:has(h3:text-is('最常问的场景'))")
    panel.locator(".state:has-text('暂无数据')").wait_for()
    assert panel.locator("table").count() == 0  # no empty table under a header
    assert page.locator("section:has-text('还没有推荐数据')").count() >= 1
    assert page.errors == []
