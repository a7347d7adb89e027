"""One store connection per worker thread, opened once and reused across its requests.

sqlite3 connections must stay on their thread; opening one per request (schema
check, WAL pragma) cost a quarter of a cached recommend. Transactions are scoped by
`Store.transaction`, so a reused connection carries nothing from one request to
the next.
"""

import threading

from flask import Flask, current_app

from kb.store import Store


def get_store() -> Store:
    local = current_app.extensions["kb.stores"]
    store = getattr(local, "store", None)
    if store is None:
        store = local.store = Store(current_app.config["KB"]["db"])
    return store


def init_app(app: Flask) -> None:
    app.extensions["kb.stores"] = threading.local()
