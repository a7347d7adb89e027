"""What an operator manages: API keys, settings kept with the data, the imports log, stats."""

from __future__ import annotations

import secrets

from kb.errors import KeyExists, KeyNotFound
from kb.store.connection import Connection, now


class Admin(Connection):
    """API keys (hashes only), meta settings, the log of imports and the counts `kb stats` shows."""

    def add_key(self, name: str, role: str, prefix: str, digest: str) -> None:
        with self.transaction():
            active = "SELECT 1 FROM api_keys WHERE name = ? AND revoked_at IS NULL"
            if self.db.execute(active, [name]).fetchone():
                raise KeyExists(name)
            self._insert("api_keys", {"name": name, "role": role, "prefix": prefix,
                                      "hash": digest, "created_at": now()})

    def key_by_prefix(self, prefix: str) -> dict | None:
        rows = self._rows(
            "SELECT * FROM api_keys WHERE prefix = ? AND revoked_at IS NULL", [prefix]
        )
        return rows[0] if rows else None

    def api_keys(self) -> list[dict]:
        return self._rows(
            "SELECT id, name, role, prefix, created_at, revoked_at FROM api_keys ORDER BY id"
        )

    def revoke_key(self, name: str) -> None:
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                [now(), name],
            )
            if not cursor.rowcount:
                raise KeyNotFound(name)

    # settings kept with the data ----------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.db.execute("""INSERT INTO meta (key, value) VALUES (?, ?)
                               ON CONFLICT(key) DO UPDATE SET value = excluded.value""",
                            [key, value])

    def identity(self) -> str:
        """A random token naming this database, made on first ask: what caches derived from it
        are keyed by, so a cache never serves another database."""
        token = self.get_meta("identity")
        if token is None:
            with self.transaction():
                self.db.execute("INSERT INTO meta (key, value) VALUES ('identity', ?) "
                                "ON CONFLICT DO NOTHING",
                                [secrets.token_hex(16)])  # fmt: skip
            token = self.get_meta("identity")
        return token

    # imports and stats ------------------------------------------------------

    def record_import(self, source: str, author: str, counts: dict[str, int]) -> None:
        """Log an import: where from, who, and how many of each kind it wrote."""
        kinds = ("topics", "processes", "entries_new", "entries_changed", "cases")
        self._insert("imports", {"at": now(), "source": source, "author": author,
                                 **{k: counts[k] for k in kinds}})

    def last_import(self) -> dict | None:
        rows = self._rows("SELECT * FROM imports ORDER BY id DESC LIMIT 1")
        return rows[0] if rows else None

    def topic_counts(self) -> list[dict]:
        """Per topic: entries (by head status) and the cases that belong to its entries."""
        return self._rows(
            """SELECT t.id AS topic, t.name, t.parent_id AS parent,
                   count(e.id) AS entries,
                   count(e.live_version) AS live,
                   (SELECT count(DISTINCT ce.case_id) FROM case_entries ce
                      JOIN entries e2 ON e2.id = ce.entry_id WHERE e2.topic_id = t.id) AS cases
               FROM topics t LEFT JOIN entries e ON e.topic_id = t.id
               GROUP BY t.id ORDER BY t.id"""
        )

    def totals(self) -> dict[str, int]:
        return {
            kind: self.db.execute(f"SELECT count(*) FROM {kind}").fetchone()[0]
            for kind in ("topics", "entries", "cases", "processes")
        }

    def entries_missing(self) -> dict[str, list[str]]:
        """Live entries with no cases, no keywords, or no process: the gaps `kb stats` shows."""

        def missing(table: str) -> list[str]:
            return [
                r[0]
                for r in self.db.execute(
                    f"""SELECT id FROM entries WHERE live_version IS NOT NULL
                        AND id NOT IN (SELECT entry_id FROM {table}) ORDER BY id"""
                )
            ]

        return {
            "cases": missing("case_entries"),
            "keywords": missing("keywords"),
            "processes": missing("entry_processes"),
        }
