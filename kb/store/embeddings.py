"""The embeddings cache: vectors by model and text hash, so a rebuild encodes only what changed."""

from __future__ import annotations

from kb.store.connection import Connection

CHUNK = 500  # ids per IN (...): under SQLite's bound-parameter limit on every build


class Embeddings(Connection):
    """Cached vectors: read the ones a model already encoded, write the new ones."""

    def embeddings(self, model: str, hashes: list[str]) -> dict[str, bytes]:
        """Cached vectors of one model, by text hash (the ones not cached are left out)."""
        out = {}
        for i in range(0, len(hashes), CHUNK):
            chunk = hashes[i : i + CHUNK]
            out.update(
                self.db.execute(
                    f"SELECT hash, vector FROM embeddings WHERE model = ? "
                    f"AND hash IN ({', '.join('?' * len(chunk))})",
                    [model, *chunk],
                ).fetchall()
            )
        return out

    def put_embeddings(self, model: str, vectors: dict[str, bytes]) -> None:
        with self.transaction():
            self.executemany(
                """INSERT INTO embeddings (model, hash, vector) VALUES (?, ?, ?)
                   ON CONFLICT(model, hash) DO UPDATE SET vector = excluded.vector""",
                [(model, h, v) for h, v in vectors.items()],
            )
