"""A dict whose values stay pickled until one is read: how a snapshot (index_cache.py) holds
the per-entry state a search touches a few dozen entries of at a time.

Unpickling 100k entries, their token sets and term counts as Python objects took most of
a restart (8 s of 13 at 100k entries); kept as one byte string with offsets, they load
in milliseconds and each value costs its own unpickling (tens of µs) on first read.
Iteration keeps the order of the dict it was made from, as the engine's code expects.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator, MutableMapping

import numpy as np

_PACKED = object()  # a value not unpickled yet


class PackedDict(MutableMapping):
    """Same keys, values and order as `mapping`; pickles each value apart (see module).

    >>> loaded = pickle.loads(pickle.dumps(PackedDict({"a": [1], "b": {2}})))
    >>> loaded["b"], list(loaded.items()), loaded
    ({2}, [('a', [1]), ('b', {2})], PackedDict(2 items, 0 still packed))
    """

    def __init__(self, mapping: dict | None = None):
        self._items: dict = dict(mapping or {})  # key -> value, or _PACKED
        self._at: dict = {}  # key still packed -> its place in _ends
        self._blob: bytes = b""
        self._ends = np.zeros(0, dtype=np.int64)
        self._unpacking = threading.Lock()

    @classmethod
    def unpack(cls, keys: list, blob: bytes, ends: np.ndarray) -> PackedDict:
        if len(keys) != len(ends) or (len(ends) and ends[-1] != len(blob)):
            raise ValueError(f"{len(keys)} keys, {len(ends)} values, {len(blob)} bytes")
        packed = cls()
        packed._items = dict.fromkeys(keys, _PACKED)
        packed._at = dict(zip(keys, range(len(keys)), strict=True))
        packed._blob, packed._ends = blob, ends
        return packed

    def __reduce__(self):
        keys = list(self._items)
        parts = [self._raw(k) for k in keys]
        ends = np.cumsum([len(p) for p in parts], dtype=np.int64)
        return PackedDict.unpack, (keys, b"".join(parts), ends)

    def _raw(self, key) -> bytes:
        """The value's pickle: the saved bytes when it was never read, else pickled now."""
        at = self._at.get(key)
        if at is None:
            return pickle.dumps(self._items[key], protocol=pickle.HIGHEST_PROTOCOL)
        start = int(self._ends[at - 1]) if at else 0
        return self._blob[start : int(self._ends[at])]

    def __getitem__(self, key):
        value = self._items[key]
        if value is _PACKED:  # once per key: two threads must not each make their own
            with self._unpacking:
                value = self._items[key]
                if value is _PACKED:
                    value = self._items[key] = pickle.loads(self._raw(key))
                    del self._at[key]
        return value

    def __setitem__(self, key, value) -> None:
        self._at.pop(key, None)
        self._items[key] = value

    def __delitem__(self, key) -> None:
        del self._items[key]
        self._at.pop(key, None)

    def __contains__(self, key) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"PackedDict({len(self._items)} items, {len(self._at)} still packed)"


def packed(mapping: dict | PackedDict) -> PackedDict:
    """`mapping` as a PackedDict, itself when it is one (its unread values stay bytes)."""
    return mapping if isinstance(mapping, PackedDict) else PackedDict(mapping)
