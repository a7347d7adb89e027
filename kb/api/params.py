"""Request parsing: every bad parameter is a 400 that names it, before any work is done."""

from __future__ import annotations

import math

from flask import current_app, request

from kb.authoring.monitor import Rules
from kb.errors import InvalidParameter

TOP_MAX = 50  # results (or cases) one call returns: a screenful, not an export
# The deepest body we take is a preview's synonyms (body.entry.keywords.word[i]): 4 levels.
# 20 leaves room and keeps every walk over a body (ours, the validator's) shallow.
DEPTH_MAX = 20
INT_MAX = 2**63 - 1  # what SQLite stores


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


def json_body(example: str, required: bool = True) -> dict:
    """The request's JSON object; `example` shows the caller what one looks like. Where the
    body is optional (`required` False), no body at all reads as an empty object.

    Refused whole, with the place named, before any route reads it: nesting deeper than
    DEPTH_MAX, text that is not Unicode (a lone surrogate such as \\ud800, which no
    database or page can hold), integers SQLite cannot store, NaN and infinities.
    """
    if not required and not request.get_data(cache=True):
        return {}
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # the parser gave up long before we would have
        raise _too_deep("body") from None
    if not isinstance(body, dict):
        raise InvalidParameter(f"the body must be a JSON object such as {example}", "body")
    _check_values(body)
    return body


def _check_values(body: dict) -> None:
    """Walk a parsed body without recursion, as described in `json_body`."""
    stack = [(body, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > DEPTH_MAX:
            raise _too_deep(path)
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in pairs:
            if isinstance(key, str):
                shown = key.encode("utf-8", "backslashreplace").decode()  # safe to echo back
                where = f"{path}.{shown}" if path else shown
                _check_text(key, where)
            else:
                where = f"{path}[{key}]"
            if isinstance(item, str):
                _check_text(item, where)
            elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > INT_MAX:
                raise InvalidParameter(f"{where} is out of range (at most {INT_MAX})", where)
            elif isinstance(item, float) and not math.isfinite(item):
                raise InvalidParameter(f"{where} must be a finite number", where)
            elif isinstance(item, dict | list):
                stack.append((item, where, depth + 1))


def _check_text(value: str, where: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidParameter(f"{where} holds a lone surrogate (such as \\ud800), which is "
                               "not text; send UTF-8", where) from None  # fmt: skip


def _too_deep(where: str) -> InvalidParameter:
    return InvalidParameter(f"the body nests more than {DEPTH_MAX} levels deep", where or "body")


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
