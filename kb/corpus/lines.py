"""YAML that remembers where each value came from, so an error can name the file's line.

Mappings and sequences come back as `LineMap` and `LineSeq`: a dict and a list that
also carry the line of themselves (`.line`) and of each key or item (`.lines`).
Dates stay text, so the validator (not the parser) judges them.
"""

from __future__ import annotations

from collections import defaultdict

import yaml


class LineMap(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int
    lines: dict


class LineSeq(list):
    """A sequence that remembers the line of itself and of each item."""

    line: int
    lines: list


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps dates as text, so the validator (not the parser) judges them."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    out = LineMap()
    out.line, out.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be text", key_node.start_mark
            )
        key = str(key)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> LineSeq:
    out = LineSeq(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def load(text: str):
    """Parse one corpus file's text; raises yaml.YAMLError on bad YAML or a duplicate key.

    >>> doc = load("id: a\\nsteps:\\n  - x\\n  - y\\nsince: 2026-01-31\\n")
    >>> doc.lines, doc["steps"].lines, doc["since"]
    ({'id': 1, 'steps': 2, 'since': 5}, [3, 4], '2026-01-31')
    """
    return yaml.load(text, Loader=_Loader)


def lineless(value):
    """Plain JSON data dressed as parsed YAML, with no line numbers (an editor's JSON).
    A loop, not recursion: no nesting a caller sends can exhaust the stack.

    >>> doc = lineless({"questions": ["a"]})
    >>> doc.line, doc.lines["questions"], doc["questions"].lines
    (None, None, [None])
    >>> lineless([[{"k": [1]}]])[0][0]["k"]
    [1]
    """
    root = _dressed(value)
    stack = [(value, root)]
    while stack:
        source, target = stack.pop()
        pairs = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in pairs:
            child = _dressed(item)
            if isinstance(target, LineMap):
                target[str(key)] = child
            else:
                target.append(child)
            if child is not item:
                stack.append((item, child))
    return root


def _dressed(value):
    """An empty LineMap or LineSeq with no lines, for a dict or a list; anything else as is."""
    if isinstance(value, dict):
        out = LineMap()
        out.line, out.lines = None, defaultdict(lambda: None)
        return out
    if isinstance(value, list):
        out = LineSeq()
        out.line, out.lines = None, [None] * len(value)
        return out
    return value
