"""The scenario graph: built from the store, patched on edits, queried for cases and lint."""
