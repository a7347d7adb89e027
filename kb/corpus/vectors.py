"""Vectors shipped beside a corpus (`vectors.npz`): the embedding cache of its texts, so a
first start on the bundled corpus does not spend most of its time encoding.

The cache is keyed by model and text hash, so a vector is only ever used for the exact
text and model it was computed for: an edited phrasing is simply encoded again. The
file is written by `scripts/bundle-vectors` from a database that has indexed the corpus.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kb.errors import CorpusError
from kb.store import Store

VECTORS_FILE = "vectors.npz"


def load_vectors(store: Store, folder: Path) -> int:
    """Put the folder's shipped vectors into the store's embedding cache; how many."""
    file = folder / VECTORS_FILE
    if not file.is_file():
        return 0
    try:
        with np.load(file, allow_pickle=False) as data:
            models = [str(m) for m in data["models"]]
            tables = [(m, data[f"hashes_{i}"], data[f"vectors_{i}"]) for i, m in enumerate(models)]
    except (OSError, ValueError, KeyError) as exc:
        raise CorpusError(str(file), None, None, f"not a vectors file: {exc}") from exc
    count = 0
    for model, hashes, vectors in tables:
        if vectors.dtype != np.float32 or vectors.ndim != 2 or len(vectors) != len(hashes):
            raise CorpusError(str(file), None, model, "hashes and float32 vectors must pair up")
        pairs = zip(hashes, vectors, strict=True)
        store.put_embeddings(model, {str(h): v.tobytes() for h, v in pairs})
        count += len(hashes)
    return count


def write_vectors(store: Store, folder: Path) -> int:
    """Write every cached vector of the store (a database that indexed only this corpus)."""
    rows = store.db.execute("SELECT model, hash, vector FROM embeddings ORDER BY model, hash")
    by_model: dict[str, list[tuple[str, bytes]]] = {}
    for model, text_hash, vector in rows.fetchall():
        by_model.setdefault(model, []).append((text_hash, vector))
    arrays: dict[str, np.ndarray] = {"models": np.array(sorted(by_model))}
    for i, model in enumerate(sorted(by_model)):
        arrays[f"hashes_{i}"] = np.array([h for h, _ in by_model[model]])
        arrays[f"vectors_{i}"] = np.stack(
            [np.frombuffer(v, dtype=np.float32) for _, v in by_model[model]]
        )
    np.savez_compressed(folder / VECTORS_FILE, **arrays)
    return sum(len(v) for v in by_model.values())
