"""The scenario graph: built from the store, patched on edits, queried for cases and lint."""

DEPTH = 1  # steps around an entry its neighbourhood shows unless asked
DEPTH_MAX = 2  # the deepest neighbourhood `kb graph show` and the API draw
# what `kb graph check` finds (kb/graph/lint.py), for filters to name
LINT_CODES = ("dangling_reference", "case_on_retired_entry", "related_to_retired",
              "unreachable_entry", "no_keywords", "no_process", "no_cases", "orphan_entry",
              "unused_process", "lexicon_conflict")  # fmt: skip
