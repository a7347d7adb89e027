"""The knowledge graph in networkx, derived from the store and never written back.

Nodes are named `kind:id` (topic:returns, entry:return-7day-no-reason, kw:七天无理由,
case:case-return-7day-01, process:proc-qc) and carry `kind` and `label`. Edges carry
`rel`: contains (topic -> sub-topic, topic -> entry), recognised_by (entry ->
keyword), synonym_of (synonym -> keyword), resolved_with (case -> entry), follows
(entry -> process), related_to (entry -> entry). An edited entry is patched in
place: its own edges are replaced and keywords no one uses any more are dropped.
"""

from __future__ import annotations

import sys
from functools import lru_cache

import networkx as nx

from kb.graph import DEPTH
from kb.model import Case, Entry, Process, Topic
from kb.store import Store
from kb.text import normalise


def node(kind: str, ident: str) -> str:
    """A node's name; interned, so every edge holds the one string (and a saved graph too)."""
    return sys.intern(f"{kind}:{ident}")


@lru_cache(maxsize=1 << 16)  # a search names a hundred keywords: normalising each cost 0.1 ms
def keyword_node(word: str) -> str:
    """Keywords are merged by their normalised form, so 價保 and 价保 are one node."""
    return node("kw", normalise(word) or word)


class Relation(dict):
    """The one attribute dict that every edge carrying only `rel` shares once saved: a
    million edge dicts unpickled one by one took 0.6 s of a restart at 100k entries. Any
    change through one edge would change them all, so a change is refused (re-adding an
    edge with the same relation, as networkx's add_edge does, changes nothing)."""

    def __init__(self, rel: str):
        super().__init__(rel=rel)

    def __reduce__(self):
        return Relation, (self["rel"],)

    def __setitem__(self, key, value) -> None:
        if key not in self or self[key] != value:
            raise TypeError(f"edge attributes shared by every {self['rel']} edge: remove the "
                            "edge and add it again to give it its own")  # fmt: skip

    def update(self, *args, **kwargs) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


class KnowledgeGraph:
    """The graph plus the operations that keep it in step with the store."""

    def __init__(self, graph: nx.DiGraph | None = None):
        self.g = graph if graph is not None else nx.DiGraph()
        self._seq = 0
        self._synonyms: dict[str, list[tuple[str, str]]] = {}  # entry -> synonym links it made

    def __getstate__(self) -> dict:
        """The state to save, once every edge that carries only its relation shares that
        relation's Relation dict (in the live graph too: the same answers, fewer objects)."""
        shared: dict[str, Relation] = {}
        for u, successors in self.g._succ.items():
            for v, data in successors.items():
                if type(data) is dict and len(data) == 1 and "rel" in data:
                    if data["rel"] not in shared:
                        shared[data["rel"]] = Relation(data["rel"])
                    successors[v] = self.g._pred[v][u] = shared[data["rel"]]
        return self.__dict__

    @classmethod
    def from_store(cls, store: Store) -> KnowledgeGraph:
        kg = cls()
        _, kg._seq = store.changed_since(0)
        for topic in store.topics():
            kg.set_topic(topic)
        for process in store.processes():
            kg.set_process(process)
        for entry in store.entries():
            kg.set_entry(entry)
        for case in store.cases():
            kg.set_case(case)
        return kg

    def refresh(self, store: Store) -> list[str]:
        """Patch the entries saved since the last look (any process may have saved them)."""
        changed, self._seq = store.changed_since(self._seq)
        for entry_id in changed:
            self.set_entry(store.get_entry(entry_id))
        return changed

    # building blocks ----------------------------------------------------------

    def set_topic(self, topic: Topic) -> None:
        me = node("topic", topic.id)
        self.g.add_node(me, kind="topic", label=topic.name)
        for parent in [p for p, _, d in self.g.in_edges(me, data=True) if d["rel"] == "contains"]:
            if self.g.nodes[parent].get("kind") == "topic":
                self.g.remove_edge(parent, me)
        if topic.parent:
            self.g.add_edge(node("topic", topic.parent), me, rel="contains")

    def set_process(self, process: Process) -> None:
        self.g.add_node(node("process", process.id), kind="process", label=process.name)

    def set_entry(self, entry: Entry) -> None:
        """Add or patch one entry: its topic, keywords, synonyms, processes and relations."""
        me = node("entry", entry.id)
        touched = self._forget_words(entry.id)
        if me in self.g:
            self.g.remove_edges_from([(u, me) for u in list(self.g.predecessors(me))
                                      if self.g.edges[u, me]["rel"] == "contains"])  # fmt: skip
            touched |= set(self.g.successors(me))
            self.g.remove_edges_from([(me, v) for v in list(self.g.successors(me))])
        self.g.add_node(me, kind="entry", label=entry.title, status=entry.status,
                        topic=entry.topic, urgency=entry.urgency)  # fmt: skip
        self.g.add_edge(node("topic", entry.topic), me, rel="contains")
        synonym_edges = []
        for keyword, synonyms in entry.keywords.items():
            head = keyword_node(keyword)
            self.g.add_node(head, kind="keyword", label=keyword)
            self.g.add_edge(me, head, rel="recognised_by")
            for synonym in synonyms:
                other = keyword_node(synonym)
                if other == head:
                    continue
                if not self.g.has_node(other):
                    self.g.add_node(other, kind="keyword", label=synonym)
                if not self.g.has_edge(other, head):
                    self.g.add_edge(other, head, rel="synonym_of", by=set())
                self.g.edges[other, head]["by"].add(entry.id)
                synonym_edges.append((other, head))
        self._synonyms[entry.id] = synonym_edges
        for process in entry.processes:
            self.g.add_edge(me, node("process", process), rel="follows")
        for related in entry.related:
            self.g.add_edge(me, node("entry", related), rel="related_to")
        self._drop_unused(touched)

    def _forget_words(self, entry_id: str) -> set[str]:
        """Withdraw the entry's claim on the synonym links it made; return the nodes touched."""
        touched = set()
        for u, v in self._synonyms.pop(entry_id, []):
            if self.g.has_edge(u, v):
                owners = self.g.edges[u, v]["by"]
                owners.discard(entry_id)
                if not owners:
                    self.g.remove_edge(u, v)
                touched |= {u, v}
        return touched

    def _drop_unused(self, candidates: set[str]) -> None:
        """Remove keyword nodes that nothing links to any more."""
        for n in candidates:
            if n in self.g and self.g.nodes[n].get("kind") == "keyword" and self.g.degree(n) == 0:
                self.g.remove_node(n)

    def set_case(self, case: Case) -> None:
        me = node("case", case.id)
        if me in self.g:
            self.g.remove_edges_from(list(self.g.out_edges(me)))
        self.g.add_node(me, kind="case", label=case.customer, outcome=case.outcome)
        for entry_id in case.entries:
            self.g.add_edge(me, node("entry", entry_id), rel="resolved_with")

    # queries ------------------------------------------------------------------

    def has_entry(self, entry_id: str) -> bool:
        return node("entry", entry_id) in self.g

    def cases_of(self, entry_id: str) -> list[str]:
        # the adjacency's own dict, not edge views: searches ask this of dozens of entries
        links = self.g.pred[node("entry", entry_id)]
        return sorted(u[5:] for u, edge in links.items() if edge["rel"] == "resolved_with")

    def related(self, entry_id: str) -> set[str]:
        """Entries linked by related_to in either direction."""
        me = node("entry", entry_id)
        if me not in self.g:
            return set()
        out = {v for v in self.g.successors(me) if self.g.edges[me, v]["rel"] == "related_to"}
        out |= {u for u in self.g.predecessors(me) if self.g.edges[u, me]["rel"] == "related_to"}
        return {n[6:] for n in out}

    def keywords_of(self, entry_id: str) -> set[str]:
        me = node("entry", entry_id)
        return {v for v in self.g.successors(me) if self.g.edges[me, v]["rel"] == "recognised_by"}

    def sharing_keywords(self, entry_id: str, max_owners: int = 20) -> dict[str, set[str]]:
        """Other entries that claim one of this entry's keywords, with the shared keywords.

        A keyword claimed by more than `max_owners` entries links nothing in particular
        (and would make this walk cost more than a search), so it is skipped.
        """
        out: dict[str, set[str]] = {}
        for kw in self.keywords_of(entry_id):
            if self.g.in_degree(kw) > max_owners:
                continue
            for u in self.g.predecessors(kw):
                if self.g.edges[u, kw]["rel"] == "recognised_by" and u != node("entry", entry_id):
                    out.setdefault(u[6:], set()).add(self.g.nodes[kw]["label"])
        return out

    def neighbourhood(self, entry_id: str, depth: int = DEPTH) -> nx.DiGraph:
        """The sub-graph within `depth` steps of an entry, ignoring edge direction."""
        me = node("entry", entry_id)
        reach = nx.single_source_shortest_path_length(self.g.to_undirected(as_view=True), me, depth)
        return self.g.subgraph(reach).copy()
