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
                new += [row[0] for row in self.db.execute(
                    """INSERT INTO flags (entry_id, version, status, opened_at, served, takeovers)
                       VALUES (?, ?, 'open', ?, ?, ?) ON CONFLICT(entry_id, version) DO NOTHING
                       RETURNING id""",
                    [s.entry_id, s.version, at, s.served, s.takeovers],
                ).fetchall()]  # fetched whole: SQLite finishes the statement before COMMIT
            return new

    def close_rewritten_flags(self, at: str | None = None) -> int:
        """Close the open flags whose entry has since published a newer, different version;
        reopen those whose entry was rolled back to the very content that was flagged."""
        with self.transaction():
            cursor = self.db.execute(
                f"""UPDATE flags SET status = 'rewritten', closed_at = ?, rewrite_version =
                       (SELECT live_version FROM entries WHERE id = flags.entry_id)
                    WHERE status = 'open' AND version < (SELECT coalesce(live_version, 0)
                        FROM entries WHERE id = flags.entry_id) AND NOT {_LIVE_IS_FLAGGED}""",
                [at or now()],
            )
            self.db.execute(
                f"""UPDATE flags SET status = 'open', closed_at = NULL, rewrite_version = NULL
                    WHERE status = 'rewritten' AND {_LIVE_IS_FLAGGED}"""
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


# The entry's live content is the content its flag was raised on (a rollback to it).
_LIVE_IS_FLAGGED = """coalesce((SELECT flagged.content = live.content
    FROM entry_versions flagged, entry_versions live, entries e
    WHERE flagged.entry_id = flags.entry_id AND flagged.version = flags.version
      AND e.id = flags.entry_id AND live.entry_id = e.id
      AND live.version = e.live_version), FALSE)"""
