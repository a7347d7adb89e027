"""Request parsing: every bad parameter is a 400 that names it, before any work is done."""

from __future__ import annotations

from flask import current_app, request

from kb.authoring.monitor import Rules
from kb.errors import InvalidParameter

TOP_MAX = 50  # results (or cases) one call returns: a screenful, not an export


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """A query-string integer within [low, high], or a 400 that names the parameter."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise InvalidParameter(f"{name} must be an integer from {low} to {high}, got {raw!r}", name)
    return value


def json_body(example: str) -> dict:
    """The request's JSON object; `example` shows the caller what one looks like."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter(f"the body must be a JSON object such as {example}", "body")
    return body


def text(
    body: dict, name: str, max_chars: int, required: bool = False, where: str = ""
) -> str | None:
    """A string field of at most `max_chars`; blank counts as missing."""
    value = body.get(name)
    field = where + name
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidParameter(f"{field} is required", field)
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"{field} must be a string, got {type(value).__name__}", field)
    if len(value) > max_chars:
        raise InvalidParameter(
            f"{field} is {len(value)} characters; the limit is {max_chars}", field
        )
    return value


def choice(body: dict, name: str, choices: tuple[str, ...], where: str = "") -> str:
    """A required field that must be one of `choices` (the message lists them)."""
    value = body.get(name)
    if value not in choices:
        field = where + name
        raise InvalidParameter(f"{field} must be one of {', '.join(choices)}; got {value!r}", field)
    return value


def nested(body: dict, name: str) -> dict:
    """An optional nested JSON object (absent is empty)."""
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidParameter(f"{name} must be a JSON object", name)
    return value


def monitor_rules() -> Rules:
    """The monitor's rules from the settings, with the window from `days` (1 to 366)."""
    rules = Rules.from_settings(current_app.config["KB"])
    rules.days = int_arg("days", rules.days, 1, 366)
    return rules
