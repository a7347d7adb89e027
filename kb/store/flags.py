"""Flags: entry versions whose takeover rate crossed the threshold, open until a rewrite.

The monitor decides which versions to flag; the store keeps one flag per entry
version and closes it once a newer version of the entry is live.
"""

from __future__ import annotations

from kb.model import Flag, VersionStats
from kb.store.connection import Connection, now


class Flags(Connection):
    """Open, close and list the flags for rewrite."""

    def open_flags(self, stats: list[VersionStats], at: str | None = None) -> list[int]:
        """Open a flag for each entry version given, unless it has one; return the new ids."""
        at = at or now()
        with self.transaction():
            new = []
            for s in stats:
                cursor = self.db.execute(
                    """INSERT INTO flags (entry_id, version, status, opened_at, served, takeovers)
                       VALUES (?, ?, 'open', ?, ?, ?) ON CONFLICT(entry_id, version) DO NOTHING""",
                    [s.entry_id, s.version, at, s.served, s.takeovers],
                )
                if cursor.rowcount:
                    new.append(cursor.lastrowid)
            return new

    def close_rewritten_flags(self, at: str | None = None) -> int:
        """Close the open flags whose entry has since published a newer version."""
        with self.transaction():
            cursor = self.db.execute(
                """UPDATE flags SET status = 'rewritten', closed_at = ?, rewrite_version =
                       (SELECT live_version FROM entries WHERE id = flags.entry_id)
                   WHERE status = 'open' AND version < (SELECT coalesce(live_version, 0)
                       FROM entries WHERE id = flags.entry_id)""",
                [at or now()],
            )
            return cursor.rowcount

    def flags(self, status: str | None = None, entry_id: str | None = None) -> list[Flag]:
        clauses, params = [], []
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if entry_id is not None:
            clauses.append("entry_id = ?")
            params.append(entry_id)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return [Flag(**r) for r in self._rows(f"SELECT * FROM flags {where} ORDER BY id", params)]
