"""The monitor's reads: what each entry version and the whole service served, per day.

All of them read the rollups (`entry_daily`, `daily_totals`) that `events.py` keeps as
events arrive, never the raw recommendations.
"""

from __future__ import annotations

from kb.model import VersionStats
from kb.store.connection import Connection


class Rollups(Connection):
    """Served, takeovers, resolved and abandoned: per entry version, topic, day and in total."""

    def version_stats(
        self, since_day: str, entry_ids: list[str] | None = None
    ) -> list[VersionStats]:
        """Per entry version, what it served from `since_day` on (from the rollups)."""
        where, params = "WHERE day >= ?", [since_day]
        if entry_ids is not None:
            where += f" AND entry_id IN ({', '.join('?' * len(entry_ids))})"
            params += entry_ids
        return [
            VersionStats(*row)
            for row in self.db.execute(
                f"""SELECT entry_id, version, sum(served), sum(takeovers), sum(resolved),
                       sum(abandoned) FROM entry_daily {where}
                    GROUP BY entry_id, version ORDER BY entry_id, version""",
                params,
            )
        ]

    def daily_stats(self, entry_id: str, since_day: str) -> list[dict]:
        """One entry's rollup rows from `since_day` on: version, day, served, takeovers, ..."""
        return self._rows(
            """SELECT version, day, served, takeovers, resolved, abandoned FROM entry_daily
               WHERE entry_id = ? AND day >= ? ORDER BY day, version""",
            [entry_id, since_day],
        )

    def daily_totals(self, since_day: str) -> list[dict]:
        return self._rows("SELECT * FROM daily_totals WHERE day >= ? ORDER BY day", [since_day])

    def topic_daily(self, since_day: str) -> list[dict]:
        """Served and takeovers per topic per day (from the rollups, joined to the entries)."""
        return self._rows(
            """SELECT e.topic_id AS topic, d.day, sum(d.served) AS served,
                   sum(d.takeovers) AS takeovers FROM entry_daily d
               JOIN entries e ON e.id = d.entry_id WHERE d.day >= ?
               GROUP BY e.topic_id, d.day ORDER BY d.day, e.topic_id""",
            [since_day],
        )

    def top_entries(self, since_day: str, limit: int = 10) -> list[dict]:
        """The scenarios customers asked about most, with how often a human took over."""
        return self._rows(
            """SELECT d.entry_id, e.title, e.topic_id AS topic, sum(d.served) AS served,
                   sum(d.takeovers) AS takeovers FROM entry_daily d
               JOIN entries e ON e.id = d.entry_id WHERE d.day >= ?
               GROUP BY d.entry_id, e.title, e.topic_id ORDER BY served DESC, d.entry_id LIMIT ?""",
            [since_day, limit],
        )
