"""A live `kb serve` with simulated traffic, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path

import pytest
import server as live
from click.testing import CliRunner

from kb.cli import cli
from kb.keys import create
from kb.store import Store
from tests.conftest import copy_db

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="module")
def site(seed_db, tmp_path_factory):
    """(base url, keys by role, database path): the seed corpus after simulated traffic."""
    folder = tmp_path_factory.mktemp("site")
    db = copy_db(seed_db, folder)
    result = CliRunner().invoke(
        cli, ["--db", str(db), "simulate", "--conversations", "4000", "--seed", "1"],
        env={"KB_EMBEDDER": "none"}, catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    store = Store(db)
    keys = {
        role: create(store, f"web-{role}", role) for role in ("bot", "agent", "editor", "admin")
    }
    keys["editor-2"] = create(store, "web-editor-2", "editor")
    store.close()
    process, port = live.start(db, folder / "serve.log")
    yield f"http://127.0.0.1:{port}", keys, db
    live.stop(process)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs it (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser, site):
    """open_page(path, role, width): a logged-in page in a fresh browser context."""
    base, keys, _ = site
    contexts = []

    def opener(path: str, role: str = "admin", width: int = 1280, login: bool = True):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto(base + path)
        if login:
            page.fill("input[name=key]", keys[role])
            page.click(".login button[type=submit]")
        return page

    yield opener
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    """Save a screenshot under tests/artifacts/ (git-ignored) for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
