"""The graph from the seed corpus, and patching it when one entry changes."""

from __future__ import annotations

import pickle
from dataclasses import replace

from kb.graph.build import KnowledgeGraph, keyword_node


def test_graph_has_every_kind_and_relation(seed_store):
    kg = KnowledgeGraph.from_store(seed_store)
    kinds = {d.get("kind") for _, d in kg.g.nodes(data=True)}
    assert kinds == {"topic", "entry", "keyword", "case", "process"}
    rels = {d["rel"] for _, _, d in kg.g.edges(data=True)}
    assert rels == {
        "contains",
        "recognised_by",
        "synonym_of",
        "resolved_with",
        "follows",
        "related_to",
    }
    assert kg.g.has_edge("topic:returns", "topic:returns-cross-border")
    assert set(kg.cases_of("allergy-cosmetics")) == {
        c.id for c in seed_store.cases("allergy-cosmetics")
    }


def test_traditional_and_simplified_keywords_are_one_node():
    assert keyword_node("價保") == keyword_node("价保")


def test_an_edit_patches_only_that_entry(seed_store):
    kg = KnowledgeGraph.from_store(seed_store)
    before = kg.g.number_of_nodes()
    entry = seed_store.get_entry("return-exchange")
    old_keyword = next(iter(entry.keywords))
    kept = {k: v for k, v in entry.keywords.items() if k != old_keyword}
    edited = replace(
        entry,
        keywords={**kept, "盲盒换款": ["重复款"]},
        related=["return-7day-no-reason"],
        processes=["proc-return-pickup"],
    )
    seed_store.save_entry(edited, "editor", base_version=entry.version)
    assert kg.refresh(seed_store) == ["return-exchange"]
    me = "entry:return-exchange"
    assert kg.g.has_edge(me, keyword_node("盲盒换款"))
    assert kg.g.has_edge(keyword_node("重复款"), keyword_node("盲盒换款"))
    assert not kg.g.has_edge(me, keyword_node(old_keyword))
    assert kg.related("return-exchange") >= {"return-7day-no-reason"}
    assert [v for v in kg.g.successors(me) if v.startswith("process:")] == [
        "process:proc-return-pickup"
    ]
    # the patched graph equals a graph rebuilt from scratch
    fresh = KnowledgeGraph.from_store(seed_store)
    assert set(fresh.g.edges) == set(kg.g.edges)
    assert set(fresh.g.nodes) == set(kg.g.nodes)
    assert abs(kg.g.number_of_nodes() - before) <= 3


def test_a_saved_graph_shares_one_dict_per_relation_and_patches_as_a_fresh_one(seed_store):
    kg = pickle.loads(pickle.dumps(KnowledgeGraph.from_store(seed_store)))
    assert len({id(d) for *_, d in kg.g.edges(data=True) if d["rel"] == "contains"}) == 1
    entry = seed_store.get_entry("return-exchange")
    edited = replace(entry, keywords={**entry.keywords, "盲盒换款": ["重复款"]},
                     related=["return-7day-no-reason"], topic="returns-cross-border")  # fmt: skip
    seed_store.save_entry(edited, "editor", base_version=entry.version)
    assert kg.refresh(seed_store) == ["return-exchange"]
    kg.set_entry(seed_store.get_entry("return-exchange"))  # the same edges again: no change
    fresh = KnowledgeGraph.from_store(seed_store)
    assert dict(kg.g.edges.items()) == dict(fresh.g.edges.items())  # with each edge's data
    assert dict(kg.g.nodes.items()) == dict(fresh.g.nodes.items())


def test_neighbourhood_depth(seed_store):
    kg = KnowledgeGraph.from_store(seed_store)
    one = kg.neighbourhood("allergy-cosmetics", 1)
    two = kg.neighbourhood("allergy-cosmetics", 2)
    assert "topic:beauty-safety" in one and "process:proc-allergy" in one
    assert set(one.nodes) < set(two.nodes)
