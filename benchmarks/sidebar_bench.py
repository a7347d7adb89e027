"""The agent sidebar's speed in a real browser: last keystroke to results on screen.

Starts `kb serve` on the seed corpus (default embedder), opens /sidebar in headless
Chromium at 380 px and types messages from tests/data/queries.tsv: each first time
(the query embedding is computed) and again (cached). The time runs from the input
event to the results list being replaced, measured inside the page; it includes the
30 ms debounce.

    python benchmarks/sidebar_bench.py [--messages 60]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import server
from synthetic import ROOT
from traffic import pct

from kb.corpus import import_corpus
from kb.keys import create
from kb.store import Store

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip
EMPTY = "() => document.getElementById('results').children.length === 0"
WATCH = """() => {
  const box = document.getElementById('q'), list = document.getElementById('results');
  box.addEventListener('input', () => { window.lastKey = performance.now(); window.shown = 0; });
  const seen = () => { window.shown = performance.now(); };
  new MutationObserver(seen).observe(list, {childList: true});
}"""



def main() -> None:

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=60)
    args = parser.parse_args()
    lines = (ROOT / "tests" / "data" / "queries.tsv").read_text(encoding="utf-8").splitlines()
    messages = [line.split("\t")[0] for line in lines if "\t" in line and not line.startswith("#")]
    messages = messages[:: max(1, len(messages) // args.messages)][: args.messages]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kb.db"
        store = Store(db)
        import_corpus(store, ROOT / "corpus")
        key = create(store, "bench-agent", "agent")
        store.close()
        process, port = server.start(db, Path(tmp) / "serve.log")
        try:
            base = f"http://127.0.0.1:{port}"
            rows = run(base, key, messages)
        finally:
            server.stop(process)
    print(f"{'messages':<22} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, values in rows.items():
        print(f"{name:<22} {len(values):>4} {pct(values, 50):>8.1f} {pct(values, 99):>8.1f} "
              f"{max(values):>8.1f}")  # fmt: skip


def run(base: str, key: str, messages: list[str]) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 380, "height": 900})
        page.goto(base + "/sidebar")
        page.fill("input[name=key]", key)
        page.click(".login button[type=submit]")
        page.wait_for_selector(".login", state="detached")
        page.evaluate(WATCH)
        rows: dict[str, list[float]] = {"first time": [], "asked again": []}
        for name in rows:
            for message in messages:
                page.fill("#q", "")
                page.wait_for_function(
                    "() => document.getElementById('results').children.length === 0"
                )
                page.fill("#q", message)
                page.wait_for_function("() => window.shown > window.lastKey", timeout=10000)
                rows[name].append(page.evaluate("window.shown - window.lastKey"))
        browser.close()
    return rows


if __name__ == "__main__":
    main()
