"""Suggested phrasings: what outcomes taught about each entry, and the editors' verdicts.

The learning loop (`kb.authoring.suggestions`) decides which outcome is a label and
which suggestion a message collapses into; the store counts each source (one
recommendation) once per suggestion, and records accept and reject exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence

from kb.errors import SuggestionDecided, SuggestionNotFound
from kb.model import Suggestion
from kb.store.connection import Connection, holding, now

WORDS_PER_PASS = 100  # words counted in one pass over the suggestions


class Suggestions(Connection):
    """Count labels into suggestions; list them; accept or reject each once."""

    def add_label(self, entry_id: str, text: str, key: str, strength: str, source: str,
                  missed: bool = False, into: int | None = None, at: str | None = None
                  ) -> Suggestion:  # fmt: skip
        """Count one label (`strength` strong or weak, from `source`; `missed` if the entry
        was never offered for it) towards the suggestion `into`, or the entry's suggestion
        with this `key`, made if it is new. A source that already counted for that
        suggestion changes nothing."""
        at = at or now()
        with self.transaction():
            if into is None:
                self.db.execute(
                    """INSERT INTO suggestions (entry_id, text, key, status, first_seen, last_seen)
                       VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT(entry_id, key) DO NOTHING""",
                    [entry_id, text, key, at, at],
                )
                into = self.db.execute("SELECT id FROM suggestions WHERE entry_id = ? AND key = ?",
                                       [entry_id, key]).fetchone()[0]  # fmt: skip
            added = self.db.execute(
                """INSERT INTO suggestion_sources (source, suggestion_id, strength, at)
                   VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                [source, into, strength, at],
            ).rowcount
            if added:
                column = "strong" if strength == "strong" else "weak"
                self.db.execute(
                    f"""UPDATE suggestions SET {column} = {column} + 1, missed = missed + ?,
                        last_seen = ? WHERE id = ?""",
                    [int(missed), at, into],
                )
            return self._suggestion(into)

    def suggestions(self, entry_id: str | None = None, status: str | None = "pending"
                    ) -> list[Suggestion]:  # fmt: skip
        """An entry's suggestions (every entry's when None), of one status (any when None)."""
        where, params = [], []
        if entry_id is not None:
            where.append("entry_id = ?")
            params.append(entry_id)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self.db.query(f"SELECT * FROM suggestions {clause} ORDER BY id", params)
        return [Suggestion(**r) for r in rows]

    def pending_by_entry(self) -> list[dict]:
        """Each entry with pending suggestions: how many, their strong, weak and missed labels
        summed, the latest label; most strong labels first (then most missed, latest)."""
        rows = self.db.query(
            """SELECT entry_id, count(*) AS suggestions, sum(strong) AS strong,
                      sum(weak) AS weak, sum(missed) AS missed, max(last_seen) AS last_seen
               FROM suggestions WHERE status = 'pending' GROUP BY entry_id
               ORDER BY sum(strong) DESC, sum(missed) DESC, max(last_seen) DESC, entry_id""")
        return [r | {k: int(r[k]) for k in ("suggestions", "strong", "weak", "missed")}
                for r in rows]  # fmt: skip

    def suggestion(self, entry_id: str, suggestion_id: int) -> Suggestion:
        if not 0 < suggestion_id < 2**63:  # no row has such an id, nor could SQLite hold it
            raise SuggestionNotFound(entry_id, suggestion_id)
        found = self.db.execute("SELECT 1 FROM suggestions WHERE id = ? AND entry_id = ?",
                                [suggestion_id, entry_id]).fetchone()  # fmt: skip
        if not found:
            raise SuggestionNotFound(entry_id, suggestion_id)
        return self._suggestion(suggestion_id)

    def decide_suggestion(
        self, suggestion_id: int, status: str, author: str, version: int | None = None,
        at: str | None = None,
    ) -> Suggestion:
        """Accept (with the entry version that added it) or reject a pending suggestion, once:
        a second verdict is SuggestionDecided and changes nothing."""
        with self.transaction():
            changed = self.db.execute(
                """UPDATE suggestions SET status = ?, decided_at = ?, decided_by = ?,
                   accepted_version = ? WHERE id = ? AND status = 'pending'""",
                [status, at or now(), author, version, suggestion_id],
            ).rowcount
            current = self._suggestion(suggestion_id)
            if not changed:
                raise SuggestionDecided(suggestion_id, current.status)
            return current

    def learnt_elsewhere(self, entry_id: str, words: Sequence[str]) -> dict[str, int]:
        """For each word, how many learnt phrasings (suggestions not rejected) of entries
        other than `entry_id` hold it: one pass over the table per WORDS_PER_PASS words."""
        out = {}
        for start in range(0, len(words), WORDS_PER_PASS):
            part = list(words[start : start + WORDS_PER_PASS])
            held = "sum(CASE WHEN text LIKE ? ESCAPE '\\' THEN 1 ELSE 0 END)"
            sums = ", ".join([held] * len(part))
            row = self.db.execute(
                f"""SELECT {sums} FROM suggestions WHERE entry_id != ? AND status != 'rejected'""",
                [*map(holding, part), entry_id]).fetchone()  # fmt: skip
            out |= {w: int(n or 0) for w, n in zip(part, row, strict=True)}
        return out

    def keyword_verdicts(self, entry_id: str) -> dict[str, str]:
        """word -> accepted | rejected: the suggested keywords editors decided for an entry."""
        rows = self.db.execute("SELECT word, status FROM keyword_verdicts WHERE entry_id = ?",
                               [entry_id]).fetchall()  # fmt: skip
        return dict(rows)

    def decide_keyword(self, entry_id: str, word: str, status: str, author: str,
                       version: int | None = None, at: str | None = None) -> None:  # fmt: skip
        """Accept (with the entry version that added it) or reject a suggested keyword, once:
        a second verdict is SuggestionDecided and changes nothing."""
        with self.transaction():
            added = self.db.execute(
                """INSERT INTO keyword_verdicts (entry_id, word, status, decided_at, decided_by,
                   accepted_version) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                [entry_id, word, status, at or now(), author, version],
            ).rowcount
            if not added:
                raise SuggestionDecided(repr(word), self.keyword_verdicts(entry_id)[word], "word")

    def suggestions_from_takeovers(self, entry_id: str, version: int) -> list[Suggestion]:
        """Suggestions learnt from the messages one entry version served and a human took
        over: what the flag's failed conversations were really asking."""
        rows = self.db.query(
            """SELECT DISTINCT s.* FROM recommendations r
               JOIN suggestion_sources src ON src.source = r.id
               JOIN suggestions s ON s.id = src.suggestion_id
               WHERE r.entry_id = ? AND r.entry_version = ? AND r.outcome = 'takeover'
               ORDER BY s.id""",
            [entry_id, version],
        )
        return [Suggestion(**r) for r in rows]

    def _suggestion(self, suggestion_id: int) -> Suggestion:
        row = next(self.db.query("SELECT * FROM suggestions WHERE id = ?", [suggestion_id]))
        return Suggestion(**row)
