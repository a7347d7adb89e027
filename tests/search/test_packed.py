"""PackedDict behaves as the dict it was made from, through a pickle and any edits after it."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest

from kb.search.packed import PackedDict, packed


def reloaded(mapping) -> PackedDict:
    return pickle.loads(pickle.dumps(packed(mapping)))


def test_random_edits_after_a_load_match_a_dict_given_the_same_edits():
    rng = random.Random(7)
    plain = {f"e{i}": {f"t{j}": j for j in range(rng.randrange(4))} for i in range(200)}
    lazy = reloaded(plain)
    for step in range(2000):
        key = f"e{rng.randrange(260)}"
        action = rng.choice(["get", "set", "del", "mutate", "save"])
        if action == "get":
            assert lazy.get(key) == plain.get(key)
        elif action == "set":
            plain[key] = lazy[key] = {"new": step}
        elif action == "del" and key in plain:
            del plain[key], lazy[key]
        elif action == "mutate" and key in plain:
            lazy[key]["m"] = plain[key]["m"] = step  # a read value is the one kept
        elif action == "save":
            lazy = reloaded(lazy)
        assert list(lazy) == list(plain)  # same keys in the same order
    assert dict(lazy.items()) == plain


def test_only_the_values_read_are_unpickled_and_a_resave_keeps_the_others_as_they_were():
    lazy = reloaded({i: [i] * 3 for i in range(100)})
    assert lazy[5] == [5, 5, 5] and 7 in lazy and len(lazy) == 100
    assert repr(lazy) == "PackedDict(100 items, 99 still packed)"
    again = reloaded(lazy)
    assert repr(again) == "PackedDict(100 items, 100 still packed)"
    assert again == {i: [i] * 3 for i in range(100)}


@pytest.mark.parametrize("keys, blob, ends", [
    (["a", "b"], b"x" * 10, np.array([4], dtype=np.int64)),
    (["a"], b"x" * 10, np.array([9], dtype=np.int64)),
])  # fmt: skip
def test_packed_values_that_do_not_fit_their_keys_are_refused(keys, blob, ends):
    with pytest.raises(ValueError, match="keys"):
        PackedDict.unpack(keys, blob, ends)
