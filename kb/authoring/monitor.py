"""The takeover-rate monitor: which entry versions fail customers, and the flags for rewrite.

Rates come from the rollups the store keeps as events arrive (`entry_daily`), so
the monitor never scans raw recommendations. Only the live version of an entry is
flagged; a flag closes when a newer version is published, and that version is
measured from zero, which is how an editor sees whether the rewrite helped.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from kb.authoring.suggestions import learn, teaches
from kb.config import DEFAULTS
from kb.errors import EntryNotFound
from kb.model import Entry, Flag, Outcome, Recommendation, VersionStats, new_id
from kb.recommend.rules import reveals_gap, served
from kb.store import Store
from kb.text import normalise

ALL_TIME = "0000-00-00"
DAYS_MAX = 366  # the longest window a caller may ask for: a year, leap day included


@dataclass
class Rules:
    """When a version is flagged: its takeover rate over `days`, once it served `min_sample`;
    and after how many strong labels a learnt phrasing is accepted unasked (0: never)."""

    threshold: float = DEFAULTS["takeover_threshold"]
    min_sample: int = DEFAULTS["min_sample"]
    days: int = DEFAULTS["monitor_days"]
    auto_accept: int = DEFAULTS["suggestion_auto_accept"]

    @classmethod
    def from_settings(cls, settings: dict) -> Rules:
        return cls(settings["takeover_threshold"], settings["min_sample"], settings["monitor_days"],
                   settings["suggestion_auto_accept"])  # fmt: skip

    def since(self, today: dt.date | None = None) -> str:
        """First day of the window, as the rollups spell days (UTC, ISO)."""
        today = today or dt.datetime.now(dt.UTC).date()
        return (today - dt.timedelta(days=self.days - 1)).isoformat()

    def over(self, stats: VersionStats) -> bool:
        return stats.served >= self.min_sample and stats.takeovers / stats.served > self.threshold


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a rate: honest at small samples, unlike p ± z·se.

    >>> wilson(0, 0)
    (0.0, 1.0)
    >>> [round(x, 3) for x in wilson(6, 20)]
    [0.145, 0.519]
    """
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Row:
    """One entry version in the monitor: its numbers over the window and its flag, if any."""

    stats: VersionStats
    live: bool
    judged: bool  # served at least the minimum sample
    flag: Flag | None

    @property
    def flagged(self) -> bool:
        return self.flag is not None and self.flag.status == "open"


def report(store: Store, outcomes: list[Outcome], rules: Rules, at: str | None = None
           ) -> list[bool]:  # fmt: skip
    """Record outcomes (each once), learn the phrasings they teach, then flag the live
    versions they pushed over the threshold. `at` (when they happened) lets the simulator
    replay past days."""
    fresh, touched = store.record_outcomes(outcomes, served=served, gap=reveals_gap, at=at)
    new = [o for o, is_new in zip(outcomes, fresh, strict=True) if is_new and teaches(o)]
    if new:
        recs = store.recommendations([o.recommendation_id for o in new])
        learn(store, [(recs[o.recommendation_id], o) for o in new], rules.auto_accept)
    if touched:
        sync_flags(store, rules, entry_ids=sorted(touched))
    return fresh


def report_agent_use(
    store: Store, agent: str, query: str, entry_id: str, outcome: str, rules: Rules,
    reply: str | None = None, used_entry_id: str | None = None,
) -> tuple[Recommendation, bool]:
    """An agent's verdict on a template from the sidebar: it resolved the chat, or it did not
    fit and they answered themselves (a takeover), naming the entry that did fit if one did
    (`used_entry_id`; without one the message is a content gap). Stored as a sidebar
    recommendation with its outcome, so the monitor counts it against the entry's live
    version like a bot's; an entry with no live version is EntryNotFound (field `entry_id`
    or `used_entry_id`). One agent's verdicts on one message and entry count once (the
    session is the agent): returns the recommendation and whether this call recorded it."""
    entry = _live(store, entry_id, "entry_id")
    used = entry.id if outcome == "resolved" else (
        _live(store, used_entry_id, "used_entry_id").id if used_entry_id else None)  # fmt: skip
    session, norm = f"sidebar:{agent}", normalise(query)
    if earlier := store.session_message(session, norm, entry.id):
        return earlier, False
    at = dt.datetime.now(dt.UTC)
    rec = Recommendation(
        id=new_id(at),
        created_at=at.isoformat(timespec="seconds"),
        query=query,
        normalised=norm,
        decision="suggest",
        reason="agent_choice",
        emotion="calm",
        urgency=entry.urgency,
        confidence=0.0,
        entry_id=entry.id,
        entry_version=entry.version,
        candidates=[entry.id],
        session_id=session,
        channel="sidebar",
    )
    store.add_recommendation(rec, served=served)
    report(store, [Outcome(rec.id, outcome, reply, used)], rules)
    return rec, True


def _live(store: Store, entry_id: str, field: str) -> Entry:
    entry = store.live_entry(entry_id) if entry_id in store.ids("entries") else None
    if entry is None:
        raise EntryNotFound(entry_id, field, live=True)
    return entry


def sync_flags(
    store: Store, rules: Rules, today: dt.date | None = None, entry_ids: list[str] | None = None
) -> list[VersionStats]:
    """Open flags for live versions over the threshold; close those a newer version replaced."""
    stats = store.version_stats(rules.since(today), entry_ids)
    live = store.live_versions()
    over = [s for s in stats if live.get(s.entry_id) == s.version and rules.over(s)]
    store.open_flags(over)
    store.close_rewritten_flags()
    return stats


def monitor(store: Store, rules: Rules, today: dt.date | None = None) -> list[Row]:
    """Every entry version that served something in the window: flagged first, worst first."""
    stats = sync_flags(store, rules, today)
    live = store.live_versions()
    flags = {(f.entry_id, f.version): f for f in store.flags()}
    rows = [
        Row(s, live.get(s.entry_id) == s.version, s.served >= rules.min_sample,
            flags.get((s.entry_id, s.version)))
        for s in stats
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (not r.flagged, -(r.stats.rate or 0), r.stats.entry_id))


def all_time(store: Store, entry_id: str, version: int | None) -> VersionStats | None:
    """Everything one version ever served: the before and after of a rewrite."""
    if version is None:
        return None
    found = [s for s in store.version_stats(ALL_TIME, [entry_id]) if s.version == version]
    return found[0] if found else VersionStats(entry_id, version, 0, 0)


@dataclass
class FlagReport:
    """A flag with what an editor needs to act on it: the numbers, before and after, and why."""

    flag: Flag
    title: str
    topic: str
    window: VersionStats  # the flagged version over the monitor's window
    before: VersionStats  # the flagged version, all time
    after: VersionStats | None  # the version that replaced it, measured from zero
    evidence: list  # Recommendations that ended in a takeover, newest first
    from_sidebar: int  # of the version's takeovers (all time), those agents reported by hand
    suggestions: list  # Suggestions learnt from those takeovers: where a rewrite starts


def flag_reports(
    store: Store, rules: Rules, status: str | None = "open", evidence: int = 10
) -> list[FlagReport]:
    """Flags (open ones by default) with their evidence, the most failed customers first."""
    stats = {(s.entry_id, s.version): s for s in sync_flags(store, rules)}
    out = []
    for flag in store.flags(status=status):
        entry = store.get_entry(flag.entry_id)
        key = (flag.entry_id, flag.version)
        out.append(
            FlagReport(
                flag=flag,
                title=entry.title,
                topic=entry.topic,
                window=stats.get(key, VersionStats(*key, 0, 0)),
                before=all_time(store, flag.entry_id, flag.version),
                after=all_time(store, flag.entry_id, flag.rewrite_version),
                evidence=store.takeovers(flag.entry_id, flag.version, evidence, served=served),
                from_sidebar=store.sidebar_takeovers(flag.entry_id, flag.version),
                suggestions=store.suggestions_from_takeovers(flag.entry_id, flag.version),
            )
        )
    return sorted(out, key=lambda r: (-r.window.takeovers, -r.before.takeovers, r.flag.id))
