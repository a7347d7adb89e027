"""Entries and their versions: every saved change is a new version, and old ones are kept.

Every save appends a row to `entry_versions` (the full content, who, when, which
fields changed); the `entries` row and its link tables (keywords, processes,
related) hold the head version, and `live_version` names the version customers
see, as `kb.model.live_version` rules it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from kb.errors import EntryNotFound, VersionConflict, VersionNotFound
from kb.model import Entry, EntryVersion, changed_fields, live_version
from kb.store.connection import Connection, holding, now, to_json
from kb.store.embeddings import CHUNK
from kb.text import fold


class Entries(Connection):
    """Entries: save a version (with optimistic locking), read heads, live and old versions."""

    def save_entry(
        self,
        entry: Entry,
        author: str,
        base_version: int | None = None,
        note: str = "",
    ) -> tuple[Entry, bool]:
        """Save `entry` as a new version; return (saved entry, whether a version was added).

        `base_version` is the version the editor started from: if the entry has moved
        on since, VersionConflict is raised instead of overwriting. Saving content
        identical to the head adds nothing, which makes imports idempotent.
        """
        with self.transaction():
            head = self.db.execute(
                "SELECT version, live_version FROM entries WHERE id = ?", [entry.id]
            ).fetchone()
            current, live = head if head else (0, None)
            if base_version is not None and base_version != current:
                raise VersionConflict(entry.id, base_version, current)
            # read through Entry: a version saved before a field existed has its default
            old_content = (Entry.from_content(self._version_content(entry.id, current)).content()
                           if head else None)  # fmt: skip
            content = entry.content()
            if old_content == content:
                return self.get_entry(entry.id), False
            version = current + 1
            stamp = now()
            live = live_version(entry.status, version, live)
            self.db.execute(
                """INSERT INTO entry_versions
                   (entry_id, version, status, author, created_at, changed, note, content)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    entry.id,
                    version,
                    entry.status,
                    author,
                    stamp,
                    to_json(changed_fields(old_content, content)),
                    note,
                    to_json(content),
                ],
            )
            self._write_head(entry, version, live, stamp, author)
            self.db.execute(
                "UPDATE entries SET seq = (SELECT max(seq) + 1 FROM entries) WHERE id = ?",
                [entry.id],
            )
            # read back inside the transaction: after it, another editor may already have
            # saved, and the caller must be told the version *it* wrote
            return self.get_entry(entry.id), True

    def _write_head(self, e: Entry, version: int, live: int | None, stamp: str, author: str):
        self.db.execute(
            """INSERT INTO entries (id, topic_id, title, questions, solution, urgency, handoff,
                   handoff_reason, soothing, needs, ask, valid_from, valid_to, status, version,
                   live_version, updated_at, updated_by, folded_title)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET topic_id = excluded.topic_id,
                   title = excluded.title, folded_title = excluded.folded_title,
                   questions = excluded.questions, solution = excluded.solution,
                   urgency = excluded.urgency,
                   handoff = excluded.handoff, handoff_reason = excluded.handoff_reason,
                   soothing = excluded.soothing, needs = excluded.needs, ask = excluded.ask,
                   valid_from = excluded.valid_from,
                   valid_to = excluded.valid_to, status = excluded.status,
                   version = excluded.version, live_version = excluded.live_version,
                   updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
            [
                e.id,
                e.topic,
                e.title,
                to_json(e.questions),
                e.solution,
                e.urgency,
                e.handoff,
                e.handoff_reason,
                e.soothing,
                to_json(e.needs),
                e.ask,
                e.valid_from,
                e.valid_to,
                e.status,
                version,
                live,
                stamp,
                author,
                fold(e.title),
            ],
        )
        for table in ("keywords", "entry_processes", "entry_relations"):
            self.db.execute(f"DELETE FROM {table} WHERE entry_id = ?", [e.id])
        self.executemany(
            "INSERT INTO keywords (entry_id, position, keyword, synonyms) VALUES (?, ?, ?, ?)",
            [(e.id, i, k, to_json(s)) for i, (k, s) in enumerate(e.keywords.items())],
        )
        self.executemany(
            "INSERT INTO entry_processes (entry_id, position, process_id) VALUES (?, ?, ?)",
            [(e.id, i, p) for i, p in enumerate(e.processes)],
        )
        self.executemany(
            "INSERT INTO entry_relations (entry_id, position, related_id) VALUES (?, ?, ?)",
            [(e.id, i, r) for i, r in enumerate(e.related)],
        )

    def _version_content(self, entry_id: str, version: int) -> dict:
        row = self.db.execute(
            "SELECT content FROM entry_versions WHERE entry_id = ? AND version = ?",
            [entry_id, version],
        ).fetchone()
        if row is None:
            raise VersionNotFound(entry_id, version)
        return json.loads(row[0])

    def get_entry(self, entry_id: str) -> Entry:
        """The head (newest) version, whatever its status."""
        entries = self._entries("WHERE e.id = ?", [entry_id])
        if not entries:
            raise EntryNotFound(entry_id)
        return entries[0]

    def live_entry(self, entry_id: str) -> Entry | None:
        """The version customers see: the newest published one, or None if retired or draft."""
        head = self.get_entry(entry_id)
        live = self.db.execute(
            "SELECT live_version FROM entries WHERE id = ?", [entry_id]
        ).fetchone()[0]
        if live is None:
            return None
        if live == head.version:
            return head
        return self.entry_version(entry_id, live)

    def entry_version(self, entry_id: str, version: int) -> Entry:
        self.get_entry(entry_id)
        return Entry.from_content(self._version_content(entry_id, version), version=version)

    def versions(self, entry_id: str) -> list[EntryVersion]:
        """Every saved version of an entry, oldest first."""
        self.get_entry(entry_id)
        return [
            EntryVersion(
                r["entry_id"],
                r["version"],
                r["status"],
                r["author"],
                r["created_at"],
                json.loads(r["changed"]),
                r["note"],
                json.loads(r["content"]),
            )
            for r in self._rows(
                "SELECT * FROM entry_versions WHERE entry_id = ? ORDER BY version", [entry_id]
            )
        ]

    def entries(
        self,
        topics: list[str] | None = None,
        live_only: bool = False,
        limit: int | None = None,
        offset: int = 0,
        containing: Sequence[str] = (),
    ) -> list[Entry]:
        """Entries in id order: head versions, or with `live_only` the live versions;
        `containing`: those whose id or head title holds one of these, compared folded (any
        letter case, traditional or simplified, full- or half-width).

        An entry whose head is an unpublished draft is listed by `live_only` with
        its published content, which is what customers see.
        """
        where, params = self._entry_filter(topics, live_only, containing)
        page = " LIMIT ? OFFSET ?" if limit is not None else ""
        heads = self._entries(
            f"{where} ORDER BY e.id{page}", params + ([limit, offset] if page else [])
        )
        if not live_only:
            return heads
        live = dict(
            self.db.execute(
                "SELECT id, live_version FROM entries WHERE live_version != version"
            ).fetchall()
        )
        return [self.entry_version(e.id, live[e.id]) if e.id in live else e for e in heads]

    def count_entries(
        self,
        topics: list[str] | None = None,
        live_only: bool = False,
        containing: Sequence[str] = (),
    ) -> int:
        where, params = self._entry_filter(topics, live_only, containing)
        return self.db.execute(f"SELECT count(*) FROM entries e {where}", params).fetchone()[0]

    @staticmethod
    def _entry_filter(topics, live_only, containing=()) -> tuple[str, list]:
        clauses, params = [], []
        if topics is not None:
            clauses.append(f"e.topic_id IN ({', '.join('?' * len(topics))})")
            params += topics
        if live_only:
            clauses.append("e.live_version IS NOT NULL")
        if isinstance(containing, str):  # one text, not its characters one by one
            containing = [containing] if containing else []
        if containing:
            like = "lower(e.id) LIKE ? ESCAPE '\\' OR e.folded_title LIKE ? ESCAPE '\\'"
            clauses.append("(" + " OR ".join([like] * len(containing)) + ")")
            for part in containing:
                params += [holding(fold(part))] * 2
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _entries(self, tail: str, params: list) -> list[Entry]:
        rows = self._rows(f"SELECT e.* FROM entries e {tail}", params)
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        links = {i: {"keywords": {}, "processes": [], "related": []} for i in ids}
        for start in range(0, len(ids), CHUNK):  # PostgreSQL binds 65,535 parameters at most
            chunk = ids[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            for r in self._rows(
                f"SELECT * FROM keywords WHERE entry_id IN ({marks}) ORDER BY entry_id, position",
                chunk,
            ):
                links[r["entry_id"]]["keywords"][r["keyword"]] = json.loads(r["synonyms"])
            for table, column, key in (
                ("entry_processes", "process_id", "processes"),
                ("entry_relations", "related_id", "related"),
            ):
                for r in self._rows(
                    f"SELECT entry_id, {column} FROM {table} WHERE entry_id IN ({marks}) "
                    "ORDER BY entry_id, position",
                    chunk,
                ):
                    links[r["entry_id"]][key].append(r[column])
        return [
            Entry(
                id=r["id"],
                topic=r["topic_id"],
                title=r["title"],
                questions=json.loads(r["questions"]),
                solution=r["solution"],
                urgency=r["urgency"],
                handoff=r["handoff"],
                handoff_reason=r["handoff_reason"],
                soothing=r["soothing"],
                needs=json.loads(r["needs"]),
                ask=r["ask"],
                valid_from=r["valid_from"],
                valid_to=r["valid_to"],
                status=r["status"],
                version=r["version"],
                **links[r["id"]],
            )
            for r in rows
        ]

    def changed_since(self, seq: int) -> tuple[list[str], int]:
        """Entries saved after change number `seq`, and the newest change number."""
        rows = self.db.execute(
            "SELECT id, seq FROM entries WHERE seq > ? ORDER BY seq", [seq]
        ).fetchall()
        return [r[0] for r in rows], max([seq] + [r[1] for r in rows])

    def entry_seqs(self) -> dict[str, int]:
        """Every entry's change number: what a derived cache records of the store it saw."""
        return dict(self.db.execute("SELECT id, seq FROM entries").fetchall())

    def seq_profile(self, seq: int) -> tuple[int, int, int]:
        """(count, sum, sum of squares) of the change numbers up to `seq`, from the index
        alone (a table scan costs seconds at 100k entries when the file is not cached): a
        derived cache checks that the entries it saw still carry the numbers it recorded."""
        row = self.db.execute("SELECT count(*), coalesce(sum(seq), 0), coalesce(sum(seq * seq), 0)"
                              " FROM entries WHERE seq <= ?", [seq]).fetchone()  # fmt: skip
        return tuple(row)

    def live_versions(self) -> dict[str, int | None]:
        """Every entry's live version (None where retired or never published)."""
        return dict(self.db.execute("SELECT id, live_version FROM entries").fetchall())

    def version_times(self, entry_id: str) -> dict[int, str]:
        """When each version of an entry was saved (the version marks on a rate chart)."""
        return dict(
            self.db.execute(
                "SELECT version, created_at FROM entry_versions WHERE entry_id = ?", [entry_id]
            ).fetchall()
        )

