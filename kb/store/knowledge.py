"""Topics, processes and cases: the knowledge around the entries (entries live in entries.py)."""

from __future__ import annotations

import json

from kb.errors import InvalidParameter, TopicNotFound
from kb.model import Case, Process, Topic
from kb.store.connection import Connection, to_json

KINDS = ("topics", "processes", "entries", "cases")


class Knowledge(Connection):
    def ids(self, kind: str) -> set[str]:
        """Every id of one kind: 'topics', 'processes', 'entries' or 'cases'."""
        if kind not in KINDS:
            raise InvalidParameter(
                f"unknown kind {kind!r}; choose from {', '.join(map(repr, KINDS))}", "kind"
            )
        return {row[0] for row in self.db.execute(f"SELECT id FROM {kind}")}

    # topics -----------------------------------------------------------------

    def upsert_topic(self, topic: Topic) -> None:
        self.db.execute(
            """INSERT INTO topics (id, name, parent_id, description) VALUES (?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET name = excluded.name,
               parent_id = excluded.parent_id, description = excluded.description""",
            [topic.id, topic.name, topic.parent, topic.description],
        )

    def topics(self) -> list[Topic]:
        return [
            Topic(r["id"], r["name"], r["parent_id"], r["description"])
            for r in self.db.query("SELECT * FROM topics ORDER BY id")
        ]

    def topic_subtree(self, topic_id: str) -> list[str]:
        """The topic and all topics nested under it."""
        rows = self._rows(
            """WITH RECURSIVE sub(id) AS (
                   SELECT id FROM topics WHERE id = ?
                   UNION SELECT t.id FROM topics t JOIN sub ON t.parent_id = sub.id)
               SELECT id FROM sub""",
            [topic_id],
        )
        if not rows:
            raise TopicNotFound(topic_id)
        return [r["id"] for r in rows]

    # processes --------------------------------------------------------------

    def upsert_process(self, process: Process) -> None:
        self.db.execute(
            """INSERT INTO processes (id, name, steps, description) VALUES (?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET name = excluded.name, steps = excluded.steps,
               description = excluded.description""",
            [process.id, process.name, to_json(process.steps), process.description],
        )

    def processes(self) -> list[Process]:
        return [
            Process(r["id"], r["name"], json.loads(r["steps"]), r["description"])
            for r in self.db.query("SELECT * FROM processes ORDER BY id")
        ]

    # cases ------------------------------------------------------------------

    def upsert_case(self, case: Case) -> None:
        """Write a case and its entry links, and bump `case_seq`."""
        with self.transaction():
            # Hand-written rather than table.upsert: a synthetic import writes 2.5 cases per
            # entry, and upsert's table introspection costs 20x the statement (84 vs 4 us).
            self.db.execute(
                """INSERT INTO cases (id, customer, action, outcome, date) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET customer = excluded.customer,
                   action = excluded.action, outcome = excluded.outcome, date = excluded.date""",
                [case.id, case.customer, case.action, case.outcome, case.date],
            )
            self.db.execute("DELETE FROM case_entries WHERE case_id = ?", [case.id])
            self.executemany(
                "INSERT INTO case_entries (case_id, position, entry_id) VALUES (?, ?, ?)",
                [(case.id, i, e) for i, e in enumerate(case.entries)],
            )
            self.db.execute(
                """INSERT INTO meta (key, value) VALUES ('case_seq', '1') ON CONFLICT(key)
                   DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"""
            )

    def case_seq(self) -> int:
        """A counter bumped by every case write, so derived case indexes know to reload."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'case_seq'").fetchone()
        return int(row[0]) if row else 0

    def cases(self, entry_id: str | None = None) -> list[Case]:
        """All cases, or those that belong to one entry, in id order."""
        if entry_id is None:
            rows = self._rows("SELECT * FROM cases ORDER BY id")
        else:
            rows = self._rows(
                """SELECT * FROM cases WHERE id IN
                   (SELECT case_id FROM case_entries WHERE entry_id = ?) ORDER BY id""",
                [entry_id],
            )
        links: dict[str, list[str]] = {r["id"]: [] for r in rows}
        for case_id, linked in self.db.execute(
            "SELECT case_id, entry_id FROM case_entries ORDER BY case_id, position"
        ):
            if case_id in links:
                links[case_id].append(linked)
        return [
            Case(r["id"], links[r["id"]], r["customer"], r["action"], r["outcome"], r["date"])
            for r in rows
        ]
