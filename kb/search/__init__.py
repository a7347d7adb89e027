"""Hybrid search: retrievers, embeddings, the FAISS index, fusion, the engine and its evaluation."""

from __future__ import annotations


def open_engine(settings: dict, fusion: str = "rrf"):
    """The engine for a resolved settings dict (database file, embedder, precision target)."""
    from kb.search.calibrate import ANSWER_PRECISION
    from kb.search.embed import make_embedder
    from kb.search.engine import Engine

    target = settings.get("answer_precision_target", ANSWER_PRECISION)
    return Engine(settings["db"], make_embedder(settings["embedder"]), fusion=fusion,
                  answer_precision=target)  # fmt: skip
