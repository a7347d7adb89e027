"""One entry's numbers: served and takeovers per version and per day, and when each was saved."""

from __future__ import annotations

from flask import Blueprint

from kb.api.auth import requires
from kb.api.openapi import documented
from kb.api.params import monitor_rules
from kb.api.resources import get_store
from kb.api.schemas import ANY, DAYS, NI, NOT_FOUND, WINDOW, I, N, S, arr, obj
from kb.authoring.dashboard import entry_stats as compute
from kb.serialise import entry_stats_json

bp = Blueprint("stats", __name__, url_prefix="/api/v1")


@bp.get("/entries/<entry_id>/stats")
@requires("flags")
@documented(
    "Served and takeovers per version and per day",
    obj({"entry_id": S, "live_version": NI, "window": WINDOW, "threshold": N, "min_sample": I,
         "versions": arr(ANY), "days": arr(ANY), "saved": arr(obj({"version": I, "at": S}))}),
    params=[DAYS],
    errors=NOT_FOUND,
)  # fmt: skip
def entry_stats(entry_id: str):
    """Per version and per day over the window: served, takeovers, rate; when each was saved."""
    return entry_stats_json(compute(get_store(), entry_id, monitor_rules()))
