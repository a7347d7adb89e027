"""One store connection per request (sqlite3 connections must stay on their thread)."""

from flask import Flask, current_app, g

from kb.store import Store


def get_store() -> Store:
    if "store" not in g:
        g.store = Store(current_app.config["KB"]["db"])
    return g.store


def _close(_exc=None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
