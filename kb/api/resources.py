"""What routes work with: the store (one connection per worker thread) and the app's engine.

sqlite3 connections must stay on their thread; opening one per request (schema
check, WAL pragma) cost a quarter of a cached recommend. Transactions are scoped by
`Store.transaction`, so a reused connection carries nothing from one request to
the next. The engine is one per app, shared by all threads (it locks itself).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from flask import Flask, current_app

from kb.errors import Unavailable
from kb.search import built_engine, shared_engine
from kb.store import Store

if TYPE_CHECKING:  # the engine pulls in jieba, FAISS and the model: load it on first use
    from kb.search.engine import Engine


def get_store() -> Store:
    local = current_app.extensions["kb.stores"]
    store = getattr(local, "store", None)
    if store is None:
        store = local.store = Store(current_app.config["KB"]["db"])
    return store


def get_engine() -> Engine:
    """The app's one engine, built on first use (or at start-up by `kb serve`)."""
    return shared_engine(current_app._get_current_object())


def engine_if_built() -> Engine | None:
    """The app's engine if it is built, without building it: for health, which stays cheap."""
    return built_engine(current_app._get_current_object())


def searchable() -> None:
    """Return once this server's index holds what this request saved: a search right after an
    edit must find the new text, even while the change follower is mid-refresh (a search does
    not wait for it, and would serve the old result from the cache). No engine yet: nothing
    to wait for, the first search builds it from the store. The store gone since the save:
    the save stands (it was committed), and searches catch up once the store is back."""
    engine = engine_if_built()
    if engine is None:
        return
    try:
        engine.refresh(wait=True)
    except Unavailable as exc:  # the save stands: the follower indexes it once the store is back
        current_app.logger.warning("saved, not yet searchable: %s", exc.message)


def init_app(app: Flask) -> None:
    app.extensions["kb.stores"] = threading.local()
