"""The scenario graph: built from the store, patched on edits, queried for cases and lint."""

DEPTH = 1  # steps around an entry its neighbourhood shows unless asked
DEPTH_MAX = 2  # the deepest neighbourhood `kb graph show` and the API draw
