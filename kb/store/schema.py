"""The schema, as numbered migrations: a database from any earlier release is brought up to date.

Each migration is a list of steps run in one transaction: SQL statements, or a function of
the database for what SQL cannot compute (a Python fold of existing rows);
`meta.schema_version` records the last one applied. Never edit a released migration: add
the next one.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from kb.text import fold

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

# v7: a revoked key's name may be given again: names are unique among active keys only.
# SQLite cannot drop a UNIQUE constraint, so the table is rebuilt.
_V7 = [
    """CREATE TABLE api_keys_v7 (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        prefix TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
    "INSERT INTO api_keys_v7 SELECT id, name, role, prefix, hash, created_at, revoked_at "
    "FROM api_keys",
    "DROP TABLE api_keys",
    "ALTER TABLE api_keys_v7 RENAME TO api_keys",
    "CREATE UNIQUE INDEX api_keys_active_name ON api_keys(name) WHERE revoked_at IS NULL",
]

# v8: handoffs a human can act on (issue 16). Entries say which facts a human needs
# (`needs`, JSON) and how to ask for them; recommend may now `ask` first, counted per day;
# every handoff leaves a ticket that agents take from a queue. Tickets are a few percent
# of traffic and the dashboard wants medians, so it reads them by day, not from a rollup.
_V8 = [
    "ALTER TABLE entries ADD COLUMN needs TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE entries ADD COLUMN ask TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE daily_totals ADD COLUMN ask INTEGER NOT NULL DEFAULT 0",
    """CREATE TABLE handoffs (
        id TEXT PRIMARY KEY REFERENCES recommendations(id),
        created_at TEXT NOT NULL,
        day TEXT NOT NULL,
        queue TEXT NOT NULL,
        priority TEXT NOT NULL,
        due TEXT NOT NULL,
        summary TEXT NOT NULL,
        facts TEXT NOT NULL,
        emotion TEXT NOT NULL,
        transcript TEXT NOT NULL,
        suggested TEXT,
        soothing TEXT NOT NULL,
        reason TEXT NOT NULL,
        session_id TEXT,
        tier TEXT,
        status TEXT NOT NULL,
        taken_by TEXT,
        taken_at TEXT,
        closed_at TEXT,
        outcome TEXT,
        agent_reply TEXT
    )""",
    "CREATE INDEX handoffs_queue ON handoffs(status, queue, priority, due)",
    "CREATE INDEX handoffs_day ON handoffs(day, queue)",
    "CREATE INDEX handoffs_session ON handoffs(session_id) WHERE session_id IS NOT NULL",
]

# v9: the learning loop. Phrasings learnt from outcomes, one row per entry and normalised
# text; each recommendation counts once towards a suggestion (`suggestion_sources`), and a
# rejected one is remembered so it is never suggested again.
_V9 = [
    """CREATE TABLE suggestions (
        id INTEGER PRIMARY KEY,
        entry_id TEXT NOT NULL REFERENCES entries(id),
        text TEXT NOT NULL,
        key TEXT NOT NULL,
        status TEXT NOT NULL,
        strong INTEGER NOT NULL DEFAULT 0,
        weak INTEGER NOT NULL DEFAULT 0,
        missed INTEGER NOT NULL DEFAULT 0,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        decided_at TEXT,
        decided_by TEXT,
        accepted_version INTEGER,
        UNIQUE (entry_id, key)
    )""",
    "CREATE INDEX suggestions_status ON suggestions(status, entry_id)",
    """CREATE TABLE suggestion_sources (
        source TEXT NOT NULL,
        suggestion_id INTEGER NOT NULL REFERENCES suggestions(id),
        strength TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (source, suggestion_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX suggestion_sources_suggestion ON suggestion_sources(suggestion_id)",
]

# v10: editors' verdicts on suggested keywords (kb/authoring/keywords.py), which are worked
# out from the suggestions whenever asked: only a verdict needs keeping.
_V10 = [
    """CREATE TABLE keyword_verdicts (
        entry_id TEXT NOT NULL REFERENCES entries(id),
        word TEXT NOT NULL,
        status TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        decided_by TEXT NOT NULL,
        accepted_version INTEGER,
        PRIMARY KEY (entry_id, word)
    ) WITHOUT ROWID""",
]


def _fold_titles(db) -> None:
    for entry_id, title in db.execute("SELECT id, title FROM entries").fetchall():
        db.execute("UPDATE entries SET folded_title = ? WHERE id = ?", [fold(title), entry_id])


# v11: each entry's title folded (kb.text.fold: traditional to simplified, half-width, lower
# case), so the editor's filter finds a title stored as 退貨政策 by 退货, and ＲＥＴＵＲＮ by
# return; SQL cannot fold, so the store writes it with the title.
_V11 = ["ALTER TABLE entries ADD COLUMN folded_title TEXT NOT NULL DEFAULT ''", _fold_titles]

MIGRATIONS = [_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10, _V11]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db, upto: int = SCHEMA_VERSION, ddl: Callable[[str], str] = str) -> int:
    """Bring the schema up to version `upto`, one migration per transaction.

    `db` is a sqlite_utils Database or pg.py's `PgDatabase` (execute, atomic, table_names);
    `ddl` turns each statement, written for SQLite, into the backend's (pg.py's `ddl`).
    """
    current = schema_version(db)
    for number in range(current + 1, upto + 1):
        with db.atomic():
            for step in MIGRATIONS[number - 1]:
                if callable(step):
                    step(db)
                else:
                    db.execute(ddl(step))
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [str(number)],
            )
    return max(current, upto)


def schema_version(db) -> int:
    """The last migration applied; 0 for an empty database. ValueError if it is not a number."""
    if "meta" not in db.table_names():
        return 0
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def columns(db: sqlite_utils.Database) -> dict[str, set[str]]:
    """Each table's column names (SQLite's own tables left out)."""
    return {t.name: {c.name for c in t.columns} for t in db.tables
            if not t.name.startswith("sqlite_")}  # fmt: skip


def expected_columns(version: int) -> dict[str, set[str]]:
    """The tables and columns a database at schema `version` has: its migrations, replayed."""
    db = sqlite_utils.Database(memory=True)
    migrate(db, version)
    return columns(db)
