"""The numbers editors chart: takeover rates per day, overall and per topic, the most asked
scenarios, the handoff queues per day, and one entry's versions and days. Read from the
store's rollups, never from raw events (tickets, a few percent of traffic, are read by day:
a median needs the values)."""

from __future__ import annotations

from dataclasses import dataclass

from kb.authoring.monitor import Rules
from kb.model import VersionStats
from kb.store import Store


def rate(part: int, whole: int) -> float | None:
    """A share for display; None when nothing was served (no rate, rather than 0%).

    >>> rate(1, 3), rate(0, 5), rate(0, 0)
    (0.3333, 0.0, None)
    """
    return round(part / whole, 4) if whole else None


@dataclass
class Dashboard:
    rules: Rules
    since: str  # first day of the window
    days: list[dict]  # per day: recommendations, outcomes and the takeover rate
    topics: list[dict]  # per topic and day: served, takeovers, rate
    top_entries: list[dict]  # the most asked scenarios
    open_flags: int
    queues: list[dict]  # per queue and day: tickets, taken within SLA, time to take, reasons


def dashboard(store: Store, rules: Rules) -> Dashboard:
    from kb.authoring.queue import queue_days  # the queue reads `rate` from here

    """Takeover rate overall and by topic per day over the window, the top scenarios, flags."""
    since = rules.since()
    return Dashboard(
        rules=rules,
        since=since,
        days=[d | {"rate": rate(d["takeover"], d["recommendations"])}
              for d in store.daily_totals(since)],
        topics=[t | {"rate": rate(t["takeovers"], t["served"])} for t in store.topic_daily(since)],
        top_entries=store.top_entries(since),
        open_flags=len(store.flags("open")),
        queues=queue_days(store, since),
    )  # fmt: skip


@dataclass
class VersionRow:
    stats: VersionStats
    saved_at: str | None
    flagged: bool  # an open flag for rewrite


@dataclass
class EntryStats:
    entry_id: str
    live_version: int | None
    rules: Rules
    since: str
    versions: list[VersionRow]  # each version that served something in the window
    days: list[dict]  # per day: served, takeovers, rate
    saved: dict[int, str]  # version -> when it was saved


def entry_stats(store: Store, entry_id: str, rules: Rules) -> EntryStats:
    """One entry over the window, per version and per day; EntryNotFound for an unknown id."""
    entry = store.get_entry(entry_id)
    live = store.live_entry(entry_id)
    since = rules.since()
    open_flags = {f.version for f in store.flags("open", entry_id)}
    saved = store.version_times(entry_id)
    return EntryStats(
        entry_id=entry.id,
        live_version=live.version if live else None,
        rules=rules,
        since=since,
        versions=[VersionRow(s, saved.get(s.version), s.version in open_flags)
                  for s in store.version_stats(since, [entry_id])],
        days=[row | {"rate": rate(row["takeovers"], row["served"])}
              for row in store.daily_stats(entry_id, since)],
        saved=saved,
    )  # fmt: skip
