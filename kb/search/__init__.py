"""Hybrid search: retrievers, embeddings, the FAISS index, fusion, the engine and its evaluation."""

from __future__ import annotations

from kb.search.fusion import FUSIONS

TOP = 5  # hits a search returns unless asked for more
TOP_MAX = 50  # most hits one search may ask for


def open_engine(settings: dict, fusion: str = FUSIONS[0]):
    """The engine for a resolved settings dict (database file and embedder)."""
    from kb.search.embed import make_embedder
    from kb.search.engine import Engine

    return Engine(settings["db"], make_embedder(settings["embedder"]), fusion=fusion)
