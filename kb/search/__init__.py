"""Hybrid search: retrievers, embeddings, the FAISS index, fusion, the engine and its evaluation."""

from __future__ import annotations

import threading

from kb.search.fusion import FUSIONS

TOP = 5  # hits a search returns unless asked for more
TOP_MAX = 50  # most hits one search may ask for
_building = threading.Lock()
_KEY = "kb.engine"  # where an app keeps its engine


def open_engine(settings: dict, fusion: str = FUSIONS[0]):
    """The engine for a resolved settings dict (database file, embedder, precision target,
    index cache)."""
    from kb.config import DEFAULTS
    from kb.search.embed import make_embedder
    from kb.search.engine import Engine
    from kb.search.index_cache import folder_for

    target = settings.get("answer_precision_target", DEFAULTS["answer_precision_target"])
    cache = folder_for(settings["db"], settings.get("index_cache", DEFAULTS["index_cache"]))
    return Engine(settings["db"], make_embedder(settings["embedder"]), fusion=fusion,
                  answer_precision=target, index_cache=cache)  # fmt: skip


def shared_engine(app):
    """The one engine of a long-lived app (the API server), built on first use by one thread
    and kept in `app.extensions`; `kb serve` asks for it before listening, so the first
    search is not slow. `app` is anything with `extensions` and `config["KB"]` (a Flask app):
    search itself never imports the web layer."""
    with _building:
        if _KEY not in app.extensions:
            app.extensions[_KEY] = open_engine(app.config["KB"])
        return app.extensions[_KEY]


def built_engine(app):
    """The app's engine if `shared_engine` built it already, else None (health never builds)."""
    return app.extensions.get(_KEY)
