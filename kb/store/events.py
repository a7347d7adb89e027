"""Recommendations and their outcomes, counted into the rollups as they arrive.

The rollups the monitor reads (`entry_daily` per entry version and day,
`daily_totals` for the service) are kept up to date in the same transaction as
the events, so no request ever GROUPs BY the raw event table.

The store counts; it does not judge. Which recommendations served their entry
and which outcomes reveal a content gap are rules of the recommend policy
(`kb.recommend.rules`): callers pass them in as `served` and `gap`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import islice

from kb.errors import EntryNotFound, OutcomeConflict, RecommendationNotFound
from kb.model import Outcome, Recommendation
from kb.store.connection import Connection, now, to_json
from kb.store.embeddings import CHUNK

Served = Callable[[str, str | None], bool]
"""(decision, entry id) -> whether the recommendation counts as served by that entry."""
Gap = Callable[[str, str | None], bool]
"""(outcome, used entry id) -> whether that outcome shows a content gap."""


COUNTED = ("answer", "suggest", "ask", "handoff")  # the decisions daily_totals has a column for


def _tally() -> dict[str, int]:
    return {"resolved": 0, "takeover": 0, "abandoned": 0}


class Events(Connection):
    """Store recommendations and outcomes (each once), and read them back."""

    def add_recommendation(self, rec: Recommendation, *, served: Served) -> None:
        """Store one recommendation and count it in the rollups, in one transaction."""
        self.add_recommendations([rec], served=served)

    def add_recommendations(self, recs: list[Recommendation], *, served: Served) -> None:
        """Store recommendations; count each per day, and per entry version where `served`."""
        day_counts: dict[str, list[int]] = {}
        counted: dict[tuple, int] = {}
        for r in recs:
            counts = day_counts.setdefault(r.created_at[:10], [0] * (len(COUNTED) + 2))
            counts[0] += 1
            counts[1 + COUNTED.index(r.decision)] += 1
            counts[-1] += r.gap
            if served(r.decision, r.entry_id):
                key = (r.entry_id, r.entry_version, r.created_at[:10])
                counted[key] = counted.get(key, 0) + 1
        with self.transaction():
            self.executemany(
                """INSERT INTO recommendations (id, created_at, day, query, normalised,
                       session_id, channel, decision, reason, emotion, urgency, confidence,
                       entry_id, entry_version, candidates, scores, gap)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    (r.id, r.created_at, r.created_at[:10], r.query, r.normalised, r.session_id,
                     r.channel, r.decision, r.reason, r.emotion, r.urgency, r.confidence,
                     r.entry_id, r.entry_version, to_json(r.candidates), to_json(r.scores),
                     int(r.gap))
                    for r in recs
                ],
            )  # fmt: skip
            self.executemany(
                """INSERT INTO daily_totals AS t (day, recommendations, answer, suggest, ask,
                       handoff, gaps)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(day) DO UPDATE SET
                   recommendations = t.recommendations + excluded.recommendations,
                   answer = t.answer + excluded.answer, suggest = t.suggest + excluded.suggest,
                   ask = t.ask + excluded.ask, handoff = t.handoff + excluded.handoff,
                   gaps = t.gaps + excluded.gaps""",
                [(day, *counts) for day, counts in day_counts.items()],
            )
            self.executemany(
                """INSERT INTO entry_daily AS t (entry_id, version, day, served) VALUES (?, ?, ?, ?)
                   ON CONFLICT(entry_id, version, day) DO UPDATE
                   SET served = t.served + excluded.served""",
                [(*key, n) for key, n in counted.items()],
            )

    def record_outcomes(
        self, outcomes: list[Outcome], *, served: Served, gap: Gap, at: str | None = None
    ) -> tuple[list[bool], set[str]]:
        """Record each outcome once; return which were new, and the entries given takeovers.

        A repeated report of the same outcome changes nothing (so callers may retry);
        a different outcome for the same recommendation is an OutcomeConflict, and an
        unknown id a RecommendationNotFound: either way nothing of the batch is written.
        Outcomes count against the recommendation's entry version where `served` says
        so; one that `gap` says shows a content gap marks its recommendation a gap.
        """
        at = at or now()
        with self.transaction():
            stored = self._outcome_targets([o.recommendation_id for o in outcomes])
            used = {o.used_entry_id for o in outcomes if o.used_entry_id}
            missing = used - self._existing_entries(used)
            fresh, updates, rollup, totals, gaps = [], [], {}, {}, []
            pending: dict[str, str] = {}  # outcomes earlier in this batch
            touched: set[str] = set()
            for index, o in enumerate(outcomes):
                if o.recommendation_id not in stored:
                    raise RecommendationNotFound(o.recommendation_id, index)
                if o.used_entry_id in missing:
                    raise EntryNotFound(o.used_entry_id, "used_entry_id", index)
                old, entry_id, version, day, decision, was_gap = stored[o.recommendation_id]
                old = old or pending.get(o.recommendation_id)
                if old is not None:
                    if old != o.outcome:
                        raise OutcomeConflict(o.recommendation_id, old, index)
                    fresh.append(False)
                    continue
                fresh.append(True)
                pending[o.recommendation_id] = o.outcome
                updates.append((o.outcome, at, o.agent_reply, o.used_entry_id,
                                o.recommendation_id))  # fmt: skip
                totals.setdefault(day, _tally())[o.outcome] += 1
                if not was_gap and gap(o.outcome, o.used_entry_id):
                    gaps.append((o.recommendation_id, day))
                if served(decision, entry_id):
                    if o.outcome == "takeover":
                        touched.add(entry_id)
                    rollup.setdefault((entry_id, version, day), _tally())[o.outcome] += 1
            self._write_outcomes(updates, rollup, totals, gaps)
        return fresh, touched

    def _outcome_targets(self, rec_ids: list[str]) -> dict[str, tuple]:
        """Per recommendation: (outcome, entry_id, entry_version, day, decision, gap)."""
        stored = {}
        ids = list(dict.fromkeys(rec_ids))
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            stored.update(
                (row[0], row[1:])
                for row in self.db.execute(
                    "SELECT id, outcome, entry_id, entry_version, day, decision, gap "
                    f"FROM recommendations WHERE id IN ({', '.join('?' * len(chunk))})",
                    chunk,
                )
            )
        return stored

    def _write_outcomes(self, updates: list, rollup: dict, totals: dict, gaps: list) -> None:
        """The writes of one batch of outcomes: the events, their rollups and the new gaps."""
        self.executemany(
            """UPDATE recommendations SET outcome = ?, outcome_at = ?, agent_reply = ?,
               used_entry_id = ? WHERE id = ?""",
            updates,
        )
        self.executemany(
            "UPDATE recommendations SET gap = 1 WHERE id = ?", [(i,) for i, _ in gaps]
        )
        self.executemany(
            """UPDATE entry_daily SET resolved = resolved + ?, takeovers = takeovers + ?,
               abandoned = abandoned + ? WHERE entry_id = ? AND version = ? AND day = ?""",
            [(c["resolved"], c["takeover"], c["abandoned"], *key) for key, c in rollup.items()],
        )
        self.executemany(
            """UPDATE daily_totals SET resolved = resolved + ?, takeover = takeover + ?,
               abandoned = abandoned + ? WHERE day = ?""",
            [(c["resolved"], c["takeover"], c["abandoned"], d) for d, c in totals.items()],
        )
        gap_days: dict[str, int] = {}
        for _, day in gaps:
            gap_days[day] = gap_days.get(day, 0) + 1
        self.executemany(
            "UPDATE daily_totals SET gaps = gaps + ? WHERE day = ?",
            [(n, d) for d, n in gap_days.items()],
        )

    def _existing_entries(self, ids: set[str]) -> set[str]:
        if not ids:
            return set()
        marks = ", ".join("?" * len(ids))
        return {r[0] for r in self.db.execute(f"SELECT id FROM entries WHERE id IN ({marks})",
                                              list(ids))}  # fmt: skip

    def recommendation(self, rec_id: str) -> Recommendation:
        rows = self._recommendations("WHERE id = ?", [rec_id])
        if not rows:
            raise RecommendationNotFound(rec_id)
        return rows[0]

    def recommendations(self, rec_ids: list[str]) -> dict[str, Recommendation]:
        """The recommendations with these ids (unknown ids are left out), by id."""
        ids = list(dict.fromkeys(rec_ids))
        found = {}
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            rows = self._recommendations(f"WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
            found.update((r.id, r) for r in rows)
        return found

    def session_recommendations(self, session_id: str, limit: int = 20) -> list[Recommendation]:
        """The session's latest recommendations, oldest first (what the policy looks back at)."""
        rows = self._recommendations(
            "WHERE session_id = ? ORDER BY created_at DESC, id DESC LIMIT ?", [session_id, limit]
        )
        return rows[::-1]

    def session_message(self, session_id: str, normalised: str, entry_id: str
                        ) -> Recommendation | None:  # fmt: skip
        """The session's recommendation of `entry_id` for this (normalised) message, if any."""
        rows = self._recommendations(
            "WHERE session_id = ? AND normalised = ? AND entry_id = ? LIMIT 1",
            [session_id, normalised, entry_id],
        )
        return rows[0] if rows else None

    def takeovers(
        self, entry_id: str, version: int, limit: int = 20, *, served: Served
    ) -> list[Recommendation]:
        """The newest recommendations of one entry version, served by it, that a human took over."""
        rows = self.db.query(
            """SELECT * FROM recommendations WHERE entry_id = ? AND entry_version = ?
               AND outcome = 'takeover' ORDER BY created_at DESC, id DESC""",
            [entry_id, version],
        )
        kept = (r for r in rows if served(r["decision"], r["entry_id"]))
        return [_recommendation(r) for r in islice(kept, limit)]

    def sidebar_takeovers(self, entry_id: str, version: int) -> int:
        """Takeovers of one entry version reported from the agents' sidebar, all time."""
        return self.db.execute(
            """SELECT count(*) FROM recommendations WHERE entry_id = ? AND entry_version = ?
               AND outcome = 'takeover' AND channel = 'sidebar'""",
            [entry_id, version],
        ).fetchone()[0]

    def gap_messages(self, since_day: str, limit: int = 5000) -> list[Recommendation]:
        """Messages the knowledge base could not answer, newest first, from `since_day` on."""
        return self._recommendations(
            "WHERE gap = 1 AND day >= ? ORDER BY created_at DESC, id DESC LIMIT ?",
            [since_day, limit],
        )

    def _recommendations(self, tail: str, params: list) -> list[Recommendation]:
        rows = self.db.query(f"SELECT * FROM recommendations {tail}", params)
        return [_recommendation(r) for r in rows]

    def count_recommendations(self) -> int:
        return self.db.execute("SELECT coalesce(sum(recommendations), 0) FROM daily_totals"
                               ).fetchone()[0]  # fmt: skip


def _recommendation(r: dict) -> Recommendation:
    return Recommendation(
        id=r["id"], created_at=r["created_at"], query=r["query"],
        normalised=r["normalised"], decision=r["decision"], reason=r["reason"],
        emotion=r["emotion"], urgency=r["urgency"], confidence=r["confidence"],
        entry_id=r["entry_id"], entry_version=r["entry_version"],
        candidates=json.loads(r["candidates"]), scores=json.loads(r["scores"]),
        session_id=r["session_id"],
        channel=r["channel"], gap=bool(r["gap"]), outcome=r["outcome"],
        outcome_at=r["outcome_at"], agent_reply=r["agent_reply"],
        used_entry_id=r["used_entry_id"],
    )  # fmt: skip
