"""Hybrid search: retrievers, embeddings, the FAISS index, fusion, the engine and its evaluation."""

from __future__ import annotations


def open_engine(settings: dict, fusion: str = "rrf"):
    """The engine for a resolved settings dict (database file and embedder)."""
    from kb.search.embed import make_embedder
    from kb.search.engine import Engine

    return Engine(settings["db"], make_embedder(settings["embedder"]), fusion=fusion)
