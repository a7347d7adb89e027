"""The dashboard: takeover rates per day, overall and by topic, the top scenarios, open flags,
and the handoff queues per day (tickets, taken within SLA, median time to take, reasons)."""

from __future__ import annotations

from flask import Blueprint

from kb.api.auth import requires
from kb.api.openapi import documented
from kb.api.params import monitor_rules
from kb.api.resources import get_store
from kb.api.schemas import ANY, DAYS, WINDOW, I, N, arr, obj
from kb.authoring.dashboard import dashboard as compute
from kb.serialise import dashboard_json

bp = Blueprint("dashboard", __name__, url_prefix="/api/v1")


@bp.get("/dashboard")
@requires("flags")
@documented(
    "Rates per day and topic, top scenarios, handoff queues per day",
    obj({"window": WINDOW, "threshold": N, "days": arr(ANY), "topics": arr(ANY),
         "top_entries": arr(ANY), "open_flags": I, "queues": arr(ANY)}),
    params=[DAYS],
)  # fmt: skip
def dashboard():
    """Takeover rate overall and by topic per day, the most asked scenarios, open flags."""
    return dashboard_json(compute(get_store(), monitor_rules()))
