"""Recommend: the policy that turns a search result into answer, suggest or handoff."""
