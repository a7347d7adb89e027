"""The store: the single source of truth and the ONLY place that writes SQL.

One `Store` front, composed of one class per concern, over one of two backends:
`Store("kb-data/kb.db")` opens a SQLite file (sqlite.py: pragmas, the writer lock, the
online backup), `Store("postgresql://user:pass@host/db")` a PostgreSQL database (pg.py:
psycopg, the dialect, an advisory writer lock). The concern modules hold the one copy of
each statement; `connection` says what a backend provides.

    connection   open, transaction(), schema_version, backup(), restore(),
                 hold_for_serving(), wait_for_change(); sqlite and pg fill it in
    schema       the numbered migrations; migrate(), schema_version()
    knowledge    ids(); topics, topic_subtree; processes; cases, case_seq
    entries      save_entry (versions, optimistic locking), get_entry, live_entry,
                 entry_version, versions, entries, count_entries, changed_since,
                 entry_seqs, seq_profile,
                 live_versions, version_times
    embeddings   the embeddings cache by model and text hash
    events       recommendations and outcomes, counted into the rollups as they arrive
    rollups      the monitor's reads of those rollups
    flags        flags for rewrite
    handoffs     handoff tickets: add, list a queue, take once, close once
    suggestions  phrasings learnt from outcomes, and the editors' verdicts on them
    admin        API keys, meta settings, identity, the imports log, stats
    copy_store   every table into an empty store of either backend (kb migrate-store)

The store stores; it does not decide. Which version is live is `kb.model.live_version`;
what counts as served and what is a gap are `kb.recommend.rules`, passed in by callers.
"""

from __future__ import annotations

from kb.store.admin import Admin
from kb.store.connection import is_url, now
from kb.store.embeddings import Embeddings
from kb.store.entries import Entries
from kb.store.events import Events
from kb.store.flags import Flags
from kb.store.handoffs import Handoffs
from kb.store.knowledge import Knowledge
from kb.store.rollups import Rollups
from kb.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from kb.store.sqlite import SqliteConnection
from kb.store.suggestions import Suggestions

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Store", "is_url", "migrate", "now", "schema_version"]


class Store(Knowledge, Entries, Embeddings, Events, Rollups, Flags, Handoffs, Suggestions,
            Admin):
    """The knowledge base. One instance per thread (sqlite3 connections are not shared).

    `Store(path_or_url, shared=False)`; every method of the concern classes above, over one
    connection of the backend the target names (`SqliteStore` or `PgStore`).
    """

    def __new__(cls, target, shared: bool = False):
        if cls is Store:
            if is_url(target):
                from kb.store.pg import PgStore  # psycopg loads only for a PostgreSQL store

                cls = PgStore
            else:
                cls = SqliteStore
        return super().__new__(cls)


class SqliteStore(Store, SqliteConnection):
    """The store in a SQLite file."""
