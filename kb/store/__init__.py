"""The store: the single source of truth and the ONLY place that writes SQL.

One `Store` front, composed of one class per concern. The public methods of each
concern are the interface every backend implements (SQLite today, PostgreSQL next);
SQLite specifics (pragmas, the writer lock, the online backup) stay in `connection`.

    connection   open, transaction(), schema_version, backup(), restore(),
                 hold_for_serving()
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

The store stores; it does not decide. Which version is live is `kb.model.live_version`;
what counts as served and what is a gap are `kb.recommend.rules`, passed in by callers.
"""

from __future__ import annotations

from kb.store.admin import Admin
from kb.store.connection import now
from kb.store.embeddings import Embeddings
from kb.store.entries import Entries
from kb.store.events import Events
from kb.store.flags import Flags
from kb.store.handoffs import Handoffs
from kb.store.knowledge import Knowledge
from kb.store.rollups import Rollups
from kb.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from kb.store.suggestions import Suggestions

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Store", "migrate", "now", "schema_version"]


class Store(Knowledge, Entries, Embeddings, Events, Rollups, Flags, Handoffs, Suggestions,
            Admin):
    """The knowledge base on disk. One instance per thread (sqlite3 connections are not shared).

    `Store(path, shared=False)`; every method of the concern classes above, one connection.
    """
