"""SQLite through sqlite-utils: the single source of truth and the ONLY module that writes SQL.

Every saved change to an entry appends a row to `entry_versions` (the full content,
who, when, which fields changed); the `entries` row and its link tables hold the
head version. The live version is the newest published one, unless a later
version retired the entry.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from kb.errors import (
    BackupInvalid,
    EntryNotFound,
    KeyExists,
    KeyNotFound,
    OutcomeConflict,
    RecommendationNotFound,
    TopicNotFound,
    VersionConflict,
    VersionNotFound,
)
from kb.model import (
    Case,
    Entry,
    EntryVersion,
    Flag,
    Outcome,
    Process,
    Recommendation,
    Topic,
    VersionStats,
    changed_fields,
)

_V1 = [
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE topics (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        parent_id TEXT REFERENCES topics(id),
        description TEXT NOT NULL DEFAULT ''
    )""",
    """CREATE TABLE processes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        steps TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT ''
    )""",
    """CREATE TABLE entries (
        id TEXT PRIMARY KEY,
        topic_id TEXT NOT NULL REFERENCES topics(id),
        title TEXT NOT NULL,
        questions TEXT NOT NULL,
        solution TEXT NOT NULL,
        urgency TEXT NOT NULL,
        handoff TEXT NOT NULL,
        handoff_reason TEXT NOT NULL DEFAULT '',
        soothing TEXT NOT NULL DEFAULT '',
        valid_from TEXT,
        valid_to TEXT,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        live_version INTEGER,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
    )""",
    "CREATE INDEX entries_topic ON entries(topic_id)",
    """CREATE TABLE entry_versions (
        entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        author TEXT NOT NULL,
        created_at TEXT NOT NULL,
        changed TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        content TEXT NOT NULL,
        PRIMARY KEY (entry_id, version)
    )""",
    """CREATE TABLE keywords (
        entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        keyword TEXT NOT NULL,
        synonyms TEXT NOT NULL,
        PRIMARY KEY (entry_id, position)
    )""",
    "CREATE INDEX keywords_keyword ON keywords(keyword)",
    """CREATE TABLE entry_processes (
        entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        process_id TEXT NOT NULL REFERENCES processes(id),
        PRIMARY KEY (entry_id, position)
    )""",
    """CREATE TABLE entry_relations (
        entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        related_id TEXT NOT NULL REFERENCES entries(id),
        PRIMARY KEY (entry_id, position)
    )""",
    """CREATE TABLE cases (
        id TEXT PRIMARY KEY,
        customer TEXT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        date TEXT
    )""",
    """CREATE TABLE case_entries (
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        entry_id TEXT NOT NULL REFERENCES entries(id),
        PRIMARY KEY (case_id, position)
    )""",
    "CREATE INDEX case_entries_entry ON case_entries(entry_id)",
]

# v2: a log of imports, so an operator can see what was loaded and when.
_V2 = [
    """CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        source TEXT NOT NULL,
        author TEXT NOT NULL,
        topics INTEGER NOT NULL,
        processes INTEGER NOT NULL,
        entries_new INTEGER NOT NULL,
        entries_changed INTEGER NOT NULL,
        cases INTEGER NOT NULL
    )""",
]

# v3: cached embeddings (by model and text hash, so a rebuild encodes only what changed),
# and a change sequence on entries, so every process's search engine sees an edit at once.
_V3 = [
    """CREATE TABLE embeddings (
        model TEXT NOT NULL,
        hash TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (model, hash)
    ) WITHOUT ROWID""",
    "ALTER TABLE entries ADD COLUMN seq INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX entries_seq ON entries(seq)",
]

# v4: index the child side of every foreign key. Without them SQLite scans
# entry_relations for each entry written (to settle deferred FK checks): quadratic,
# 100k entries took more than 30 minutes to import.
_V4 = [
    "CREATE INDEX entry_relations_related ON entry_relations(related_id)",
    "CREATE INDEX entry_processes_process ON entry_processes(process_id)",
    "CREATE INDEX topics_parent ON topics(parent_id)",
]

# v5: recommendations and their outcomes, and the rollups the monitor reads, kept up to
# date as events arrive (never GROUP BY the raw event table on a request). `entry_daily`
# counts what each entry version served per day; `daily_totals` the whole service.
_V5 = [
    """CREATE TABLE recommendations (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        day TEXT NOT NULL,
        query TEXT NOT NULL,
        normalised TEXT NOT NULL,
        session_id TEXT,
        channel TEXT,
        decision TEXT NOT NULL,
        reason TEXT NOT NULL,
        emotion TEXT NOT NULL,
        urgency TEXT NOT NULL,
        confidence REAL NOT NULL,
        entry_id TEXT,
        entry_version INTEGER,
        candidates TEXT NOT NULL,
        scores TEXT NOT NULL,
        gap INTEGER NOT NULL,
        outcome TEXT,
        outcome_at TEXT,
        agent_reply TEXT,
        used_entry_id TEXT
    )""",
    """CREATE INDEX recommendations_session ON recommendations(session_id, created_at)
       WHERE session_id IS NOT NULL""",
    """CREATE INDEX recommendations_takeovers ON recommendations(entry_id, entry_version)
       WHERE outcome = 'takeover'""",
    "CREATE INDEX recommendations_gaps ON recommendations(day) WHERE gap = 1",
    """CREATE TABLE entry_daily (
        entry_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        day TEXT NOT NULL,
        served INTEGER NOT NULL DEFAULT 0,
        takeovers INTEGER NOT NULL DEFAULT 0,
        resolved INTEGER NOT NULL DEFAULT 0,
        abandoned INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (entry_id, version, day)
    ) WITHOUT ROWID""",
    "CREATE INDEX entry_daily_day ON entry_daily(day)",
    """CREATE TABLE daily_totals (
        day TEXT PRIMARY KEY,
        recommendations INTEGER NOT NULL DEFAULT 0,
        answer INTEGER NOT NULL DEFAULT 0,
        suggest INTEGER NOT NULL DEFAULT 0,
        handoff INTEGER NOT NULL DEFAULT 0,
        gaps INTEGER NOT NULL DEFAULT 0,
        resolved INTEGER NOT NULL DEFAULT 0,
        takeover INTEGER NOT NULL DEFAULT 0,
        abandoned INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID""",
    """CREATE TABLE flags (
        id INTEGER PRIMARY KEY,
        entry_id TEXT NOT NULL REFERENCES entries(id),
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        served INTEGER NOT NULL,
        takeovers INTEGER NOT NULL,
        closed_at TEXT,
        rewrite_version INTEGER,
        UNIQUE (entry_id, version)
    )""",
    "CREATE INDEX flags_status ON flags(status)",
]

# v6: API keys. Only a hash of each key is kept; `prefix` (the first characters after
# "kb_") finds the row, and the hash is then compared in constant time.
_V6 = [
    """CREATE TABLE api_keys (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        prefix TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
]

MIGRATIONS = [_V1, _V2, _V3, _V4, _V5, _V6]
SCHEMA_VERSION = len(MIGRATIONS)


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_LOCK = threading.Lock()


def _writer_lock(path: str) -> threading.Lock:
    """One writer at a time per database file within this process.

    Threads queue on a Python lock instead of SQLite's busy handler, which sleeps in
    growing steps (1, 2, 5, 10 ms ...): with two server threads writing a recommendation
    each, those sleeps cost a third of the cached throughput. Other processes still meet
    busy_timeout.
    """
    if path == ":memory:":
        return threading.Lock()  # every in-memory database is its own
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(str(Path(path).resolve()), threading.Lock())


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def migrate(db: sqlite_utils.Database, upto: int = SCHEMA_VERSION) -> int:
    """Bring the schema up to version `upto`, one migration per transaction."""
    current = schema_version(db)
    for number in range(current + 1, upto + 1):
        with db.atomic():
            for statement in MIGRATIONS[number - 1]:
                db.execute(statement)
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                [str(number)],
            )
    return max(current, upto)


def schema_version(db: sqlite_utils.Database) -> int:
    if not db["meta"].exists():
        return 0
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


class Store:
    """The knowledge base on disk. One instance per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: str | Path, shared: bool = False):
        """`shared` lets other threads use this connection; the caller then serialises access."""
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=not shared))
        self._writer = _writer_lock(str(path))
        self.db.execute("PRAGMA busy_timeout = 5000")
        self.db.execute("PRAGMA foreign_keys = ON")
        if str(path) != ":memory:":
            self.db.enable_wal()
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: a committed
            # transaction survives a killed process, though power loss may drop the last
            # few. FULL (an fsync per commit) halved recommend throughput.
            self.db.execute("PRAGMA synchronous = NORMAL")
        migrate(self.db)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All or nothing; foreign keys are checked at commit so rows may arrive in any order.

        BEGIN IMMEDIATE takes the write lock before the first read, so a check-then-write
        (the base version of an edit, whether an outcome was already reported) cannot
        interleave with another connection's; the others wait up to busy_timeout.
        """
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():  # nested: a savepoint
                yield self
            return
        with self._writer:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("PRAGMA defer_foreign_keys = ON")
                yield self
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise

    @property
    def schema_version(self) -> int:
        return schema_version(self.db)

    def _rows(self, sql: str, params=()) -> list[dict]:
        cursor = self.db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def ids(self, kind: str) -> set[str]:
        """Every id of one kind: 'topics', 'processes', 'entries' or 'cases'."""
        if kind not in ("topics", "processes", "entries", "cases"):
            raise ValueError(f"unknown kind {kind!r}")
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
            for r in self._rows("SELECT * FROM topics ORDER BY id")
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
            [process.id, process.name, _json(process.steps), process.description],
        )

    def processes(self) -> list[Process]:
        return [
            Process(r["id"], r["name"], json.loads(r["steps"]), r["description"])
            for r in self._rows("SELECT * FROM processes ORDER BY id")
        ]

    # entries ----------------------------------------------------------------

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
            head = self._row("entries", entry.id)
            current = head["version"] if head else 0
            if base_version is not None and base_version != current:
                raise VersionConflict(entry.id, base_version, current)
            old_content = self._version_content(entry.id, current) if head else None
            content = entry.content()
            if old_content == content:
                return self.get_entry(entry.id), False
            version = current + 1
            stamp = now()
            live = head["live_version"] if head else None
            if entry.status == "published":
                live = version
            elif entry.status == "retired":
                live = None
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
                    _json(changed_fields(old_content, content)),
                    note,
                    _json(content),
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
                   handoff_reason, soothing, valid_from, valid_to, status, version,
                   live_version, updated_at, updated_by)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET topic_id = excluded.topic_id,
                   title = excluded.title, questions = excluded.questions,
                   solution = excluded.solution, urgency = excluded.urgency,
                   handoff = excluded.handoff, handoff_reason = excluded.handoff_reason,
                   soothing = excluded.soothing, valid_from = excluded.valid_from,
                   valid_to = excluded.valid_to, status = excluded.status,
                   version = excluded.version, live_version = excluded.live_version,
                   updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
            [
                e.id,
                e.topic,
                e.title,
                _json(e.questions),
                e.solution,
                e.urgency,
                e.handoff,
                e.handoff_reason,
                e.soothing,
                e.valid_from,
                e.valid_to,
                e.status,
                version,
                live,
                stamp,
                author,
            ],
        )
        for table in ("keywords", "entry_processes", "entry_relations"):
            self.db.execute(f"DELETE FROM {table} WHERE entry_id = ?", [e.id])
        self.db.conn.executemany(
            "INSERT INTO keywords (entry_id, position, keyword, synonyms) VALUES (?, ?, ?, ?)",
            [(e.id, i, k, _json(s)) for i, (k, s) in enumerate(e.keywords.items())],
        )
        self.db.conn.executemany(
            "INSERT INTO entry_processes (entry_id, position, process_id) VALUES (?, ?, ?)",
            [(e.id, i, p) for i, p in enumerate(e.processes)],
        )
        self.db.conn.executemany(
            "INSERT INTO entry_relations (entry_id, position, related_id) VALUES (?, ?, ?)",
            [(e.id, i, r) for i, r in enumerate(e.related)],
        )

    def _row(self, table: str, key: str) -> dict | None:
        rows = self._rows(f"SELECT * FROM {table} WHERE id = ?", [key])
        return rows[0] if rows else None

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
    ) -> list[Entry]:
        """Entries in id order: head versions, or with `live_only` the live versions.

        An entry whose head is an unpublished draft is listed by `live_only` with
        its published content, which is what customers see.
        """
        where, params = self._entry_filter(topics, live_only)
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

    def count_entries(self, topics: list[str] | None = None, live_only: bool = False) -> int:
        where, params = self._entry_filter(topics, live_only)
        return self.db.execute(f"SELECT count(*) FROM entries e {where}", params).fetchone()[0]

    @staticmethod
    def _entry_filter(topics, live_only) -> tuple[str, list]:
        clauses, params = [], []
        if topics is not None:
            clauses.append(f"e.topic_id IN ({', '.join('?' * len(topics))})")
            params += topics
        if live_only:
            clauses.append("e.live_version IS NOT NULL")
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _entries(self, tail: str, params: list) -> list[Entry]:
        rows = self._rows(f"SELECT e.* FROM entries e {tail}", params)
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        marks = ", ".join("?" * len(ids))
        links = {i: {"keywords": {}, "processes": [], "related": []} for i in ids}
        for r in self._rows(
            f"SELECT * FROM keywords WHERE entry_id IN ({marks}) ORDER BY entry_id, position", ids
        ):
            links[r["entry_id"]]["keywords"][r["keyword"]] = json.loads(r["synonyms"])
        for table, column, key in (
            ("entry_processes", "process_id", "processes"),
            ("entry_relations", "related_id", "related"),
        ):
            for r in self._rows(
                f"SELECT entry_id, {column} FROM {table} WHERE entry_id IN ({marks}) "
                "ORDER BY entry_id, position",
                ids,
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

    # embeddings -------------------------------------------------------------

    def embeddings(self, model: str, hashes: list[str]) -> dict[str, bytes]:
        """Cached vectors of one model, by text hash (the ones not cached are left out)."""
        out = {}
        for i in range(0, len(hashes), 500):  # stay under SQLite's bound-parameter limit
            chunk = hashes[i : i + 500]
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
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model, hash, vector) VALUES (?, ?, ?)",
                [(model, h, v) for h, v in vectors.items()],
            )

    # cases ------------------------------------------------------------------

    def upsert_case(self, case: Case) -> None:
        with self.transaction():
            self._write_case(case)
            self.db.execute(
                """INSERT INTO meta (key, value) VALUES ('case_seq', '1') ON CONFLICT(key)
                   DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"""
            )

    def case_seq(self) -> int:
        """A counter bumped by every case write, so derived case indexes know to reload."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'case_seq'").fetchone()
        return int(row[0]) if row else 0

    def _write_case(self, case: Case) -> None:
        self.db.execute(
            """INSERT INTO cases (id, customer, action, outcome, date) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET customer = excluded.customer,
               action = excluded.action, outcome = excluded.outcome, date = excluded.date""",
            [case.id, case.customer, case.action, case.outcome, case.date],
        )
        self.db.execute("DELETE FROM case_entries WHERE case_id = ?", [case.id])
        self.db.conn.executemany(
            "INSERT INTO case_entries (case_id, position, entry_id) VALUES (?, ?, ?)",
            [(case.id, i, e) for i, e in enumerate(case.entries)],
        )

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
        for r in self._rows(
            "SELECT case_id, entry_id FROM case_entries ORDER BY case_id, position"
        ):
            if r["case_id"] in links:
                links[r["case_id"]].append(r["entry_id"])
        return [
            Case(r["id"], links[r["id"]], r["customer"], r["action"], r["outcome"], r["date"])
            for r in rows
        ]

    # recommendations and outcomes -------------------------------------------

    def add_recommendation(self, rec: Recommendation) -> None:
        """Store one recommendation and count it in the rollups, in one transaction."""
        self.add_recommendations([rec])

    def add_recommendations(self, recs: list[Recommendation]) -> None:
        day_counts: dict[str, list[int]] = {}
        served: dict[tuple, int] = {}
        for r in recs:
            counts = day_counts.setdefault(r.created_at[:10], [0, 0, 0, 0, 0])
            counts[0] += 1
            counts[1 + ("answer", "suggest", "handoff").index(r.decision)] += 1
            counts[4] += r.gap
            if r.entry_id is not None and r.decision != "handoff":
                key = (r.entry_id, r.entry_version, r.created_at[:10])
                served[key] = served.get(key, 0) + 1
        with self.transaction():
            self.db.conn.executemany(
                """INSERT INTO recommendations (id, created_at, day, query, normalised,
                       session_id, channel, decision, reason, emotion, urgency, confidence,
                       entry_id, entry_version, candidates, scores, gap)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    (r.id, r.created_at, r.created_at[:10], r.query, r.normalised, r.session_id,
                     r.channel, r.decision, r.reason, r.emotion, r.urgency, r.confidence,
                     r.entry_id, r.entry_version, _json(r.candidates), _json(r.scores),
                     int(r.gap))
                    for r in recs
                ],
            )  # fmt: skip
            self.db.conn.executemany(
                """INSERT INTO daily_totals (day, recommendations, answer, suggest, handoff, gaps)
                   VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(day) DO UPDATE SET
                   recommendations = recommendations + excluded.recommendations,
                   answer = answer + excluded.answer, suggest = suggest + excluded.suggest,
                   handoff = handoff + excluded.handoff, gaps = gaps + excluded.gaps""",
                [(day, *counts) for day, counts in day_counts.items()],
            )
            self.db.conn.executemany(
                """INSERT INTO entry_daily (entry_id, version, day, served) VALUES (?, ?, ?, ?)
                   ON CONFLICT(entry_id, version, day) DO UPDATE
                   SET served = served + excluded.served""",
                [(*key, n) for key, n in served.items()],
            )

    def record_outcomes(
        self, outcomes: list[Outcome], at: str | None = None
    ) -> tuple[list[bool], set[str]]:
        """Record each outcome once; return which were new, and the entries given takeovers.

        A repeated report of the same outcome changes nothing (so callers may retry);
        a different outcome for the same recommendation is an OutcomeConflict, and an
        unknown id a RecommendationNotFound: either way nothing of the batch is written.
        """
        at = at or now()
        with self.transaction():
            stored = {}
            ids = list(dict.fromkeys(o.recommendation_id for o in outcomes))
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                stored.update(
                    (row[0], row[1:])
                    for row in self.db.execute(
                        "SELECT id, outcome, entry_id, entry_version, day, decision, gap "
                        f"FROM recommendations WHERE id IN ({', '.join('?' * len(chunk))})",
                        chunk,
                    )
                )
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
                old, entry_id, version, day, decision, gap = stored[o.recommendation_id]
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
                counts = totals.setdefault(day, {"resolved": 0, "takeover": 0, "abandoned": 0})
                counts[o.outcome] += 1
                if o.outcome == "takeover" and not o.used_entry_id and not gap:
                    gaps.append(o.recommendation_id)  # a human answered from outside the KB
                if entry_id is not None and decision != "handoff":
                    if o.outcome == "takeover":
                        touched.add(entry_id)
                    key = (entry_id, version, day)
                    counts = rollup.setdefault(key, {"resolved": 0, "takeover": 0, "abandoned": 0})
                    counts[o.outcome] += 1
            self.db.conn.executemany(
                """UPDATE recommendations SET outcome = ?, outcome_at = ?, agent_reply = ?,
                   used_entry_id = ? WHERE id = ?""",
                updates,
            )
            self.db.conn.executemany(
                "UPDATE recommendations SET gap = 1 WHERE id = ?", [(i,) for i in gaps]
            )
            self.db.conn.executemany(
                """UPDATE entry_daily SET resolved = resolved + ?, takeovers = takeovers + ?,
                   abandoned = abandoned + ? WHERE entry_id = ? AND version = ? AND day = ?""",
                [(c["resolved"], c["takeover"], c["abandoned"], *key) for key, c in rollup.items()],
            )
            self.db.conn.executemany(
                """UPDATE daily_totals SET resolved = resolved + ?, takeover = takeover + ?,
                   abandoned = abandoned + ? WHERE day = ?""",
                [(c["resolved"], c["takeover"], c["abandoned"], d) for d, c in totals.items()],
            )
            gap_days: dict[str, int] = {}
            for rec_id in gaps:
                day = stored[rec_id][3]
                gap_days[day] = gap_days.get(day, 0) + 1
            self.db.conn.executemany(
                "UPDATE daily_totals SET gaps = gaps + ? WHERE day = ?",
                [(n, d) for d, n in gap_days.items()],
            )
        return fresh, touched

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

    def session_recommendations(self, session_id: str, limit: int = 20) -> list[Recommendation]:
        """The session's latest recommendations, oldest first (what the policy looks back at)."""
        rows = self._recommendations(
            "WHERE session_id = ? ORDER BY created_at DESC, id DESC LIMIT ?", [session_id, limit]
        )
        return rows[::-1]

    def takeovers(self, entry_id: str, version: int, limit: int = 20) -> list[Recommendation]:
        """The newest recommendations of one entry version that a human had to take over."""
        return self._recommendations(
            """WHERE entry_id = ? AND entry_version = ? AND outcome = 'takeover'
               AND decision != 'handoff' ORDER BY created_at DESC, id DESC LIMIT ?""",
            [entry_id, version, limit],
        )

    def gap_messages(self, since_day: str, limit: int = 5000) -> list[Recommendation]:
        """Messages the knowledge base could not answer, newest first, from `since_day` on."""
        return self._recommendations(
            "WHERE gap = 1 AND day >= ? ORDER BY created_at DESC, id DESC LIMIT ?",
            [since_day, limit],
        )

    def _recommendations(self, tail: str, params: list) -> list[Recommendation]:
        return [
            Recommendation(
                id=r["id"], created_at=r["created_at"], query=r["query"],
                normalised=r["normalised"], decision=r["decision"], reason=r["reason"],
                emotion=r["emotion"], urgency=r["urgency"], confidence=r["confidence"],
                entry_id=r["entry_id"], entry_version=r["entry_version"],
                candidates=json.loads(r["candidates"]), scores=json.loads(r["scores"]),
                session_id=r["session_id"],
                channel=r["channel"], gap=bool(r["gap"]), outcome=r["outcome"],
                outcome_at=r["outcome_at"], agent_reply=r["agent_reply"],
                used_entry_id=r["used_entry_id"],
            )
            for r in self._rows(f"SELECT * FROM recommendations {tail}", params)
        ]  # fmt: skip

    def count_recommendations(self) -> int:
        return self.db.execute("SELECT coalesce(sum(recommendations), 0) FROM daily_totals"
                               ).fetchone()[0]  # fmt: skip

    # monitor rollups --------------------------------------------------------

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
               GROUP BY d.entry_id ORDER BY served DESC, d.entry_id LIMIT ?""",
            [since_day, limit],
        )

    def live_versions(self) -> dict[str, int | None]:
        return dict(self.db.execute("SELECT id, live_version FROM entries").fetchall())

    def version_times(self, entry_id: str) -> dict[int, str]:
        """When each version of an entry was saved (the version marks on a rate chart)."""
        return dict(
            self.db.execute(
                "SELECT version, created_at FROM entry_versions WHERE entry_id = ?", [entry_id]
            ).fetchall()
        )

    # flags ------------------------------------------------------------------

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

    # API keys -----------------------------------------------------------------

    def add_key(self, name: str, role: str, prefix: str, digest: str) -> None:
        with self.transaction():
            if self.db.execute("SELECT 1 FROM api_keys WHERE name = ?", [name]).fetchone():
                raise KeyExists(name)
            self.db.execute(
                """INSERT INTO api_keys (name, role, prefix, hash, created_at)
                   VALUES (?, ?, ?, ?, ?)""",
                [name, role, prefix, digest, now()],
            )

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

    # backups ----------------------------------------------------------------

    def backup(self, target: str | Path) -> None:
        """A consistent copy while others keep writing (SQLite's online backup, page by page)."""
        destination = sqlite3.connect(str(target))
        try:
            self.db.conn.backup(destination, pages=1024)
        finally:
            destination.close()

    def restore(self, source: str | Path) -> None:
        """Replace this database's content with a backup's, after checking the backup is sound."""
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            try:
                sound = origin.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            except sqlite3.DatabaseError as exc:
                raise BackupInvalid(str(source), f"is not a SQLite database ({exc})") from None
            if not sound:
                raise BackupInvalid(str(source), "fails PRAGMA integrity_check")
            version = schema_version(sqlite_utils.Database(origin))
            if not 1 <= version <= SCHEMA_VERSION:
                raise BackupInvalid(str(source), f"schema version {version} is not a kefu-kb one "
                                    f"(this release reads 1 to {SCHEMA_VERSION})")  # fmt: skip
            origin.backup(self.db.conn)
        finally:
            origin.close()
        migrate(self.db)

    # settings kept with the data ----------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])

    # imports and stats ------------------------------------------------------

    def record_import(self, source: str, author: str, counts: dict[str, int]) -> None:
        self.db.execute(
            """INSERT INTO imports (at, source, author, topics, processes, entries_new,
                   entries_changed, cases) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                now(),
                source,
                author,
                counts["topics"],
                counts["processes"],
                counts["entries_new"],
                counts["entries_changed"],
                counts["cases"],
            ],
        )

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
