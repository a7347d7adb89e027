"""KB lint: what an editor must settle, read off the graph.

Errors are references a customer could fall into (a case or a relation pointing to
an entry that is not live, an entry whose topic chain never reaches a root);
warnings are gaps (no cases, no process, no related entry), keywords claimed by
several scenarios, and processes nothing uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from kb.graph.build import KnowledgeGraph


@dataclass
class Finding:
    level: str  # "error" or "warning"
    code: str
    message: str
    nodes: list[str]
    subject: str = ""  # the word or value the finding is about, for pages to phrase it


def check(kg: KnowledgeGraph) -> list[Finding]:
    """Every finding, errors first, each naming the nodes involved."""
    g = kg.g
    findings: list[Finding] = []
    entries = {n for n, d in g.nodes(data=True) if d.get("kind") == "entry"}
    live = {n for n in entries if g.nodes[n].get("status") == "published"}

    for n, d in g.nodes(data=True):
        if "kind" not in d:  # only referred to, never defined
            users = sorted(u for u in g.predecessors(n))
            findings.append(
                Finding(
                    "error",
                    "dangling_reference",
                    f"{n} is referred to by {', '.join(users)} but does not exist",
                    [n, *users],
                )
            )

    for case in (n for n, d in g.nodes(data=True) if d.get("kind") == "case"):
        for entry in g.successors(case):
            if g.nodes[entry].get("kind") == "entry" and entry not in live:
                status = g.nodes[entry].get("status")
                findings.append(
                    Finding(
                        "error",
                        "case_on_retired_entry",
                        f"{case} belongs to {entry}, which is {status}: "
                        "move the case to the entry that replaced it",
                        [case, entry],
                    )
                )

    for entry in live:
        for other in g.successors(entry):
            if (
                g.edges[entry, other]["rel"] == "related_to"
                and other in entries
                and other not in live
            ):
                findings.append(
                    Finding(
                        "error",
                        "related_to_retired",
                        f"{entry} is related to {other}, which is {g.nodes[other].get('status')}",
                        [entry, other],
                    )
                )

    roots = [
        n
        for n, d in g.nodes(data=True)
        if d.get("kind") == "topic"
        and not any(g.edges[u, n]["rel"] == "contains" for u in g.predecessors(n))
    ]
    tree = g.edge_subgraph(_contains(g))
    reachable: set[str] = set()
    for root in roots:
        if root in tree:
            reachable |= nx.descendants(tree, root)
    for entry in sorted(live - reachable):
        findings.append(
            Finding(
                "error",
                "unreachable_entry",
                f"{entry} cannot be reached from any root topic "
                "(its topic is missing or sits in a cycle)",
                [entry],
            )
        )

    findings += _conflicts(kg, live)

    for entry in sorted(live):
        rels = [g.edges[entry, v]["rel"] for v in g.successors(entry)]
        has_case = any(g.edges[u, entry]["rel"] == "resolved_with" for u in g.predecessors(entry))
        for missing, present in (
            ("keywords", "recognised_by" in rels),
            ("process", "follows" in rels),
            ("cases", has_case),
        ):
            if not present:
                findings.append(
                    Finding("warning", f"no_{missing}", f"{entry} has no {missing}", [entry])
                )
        related = "related_to" in rels or any(
            g.edges[u, entry]["rel"] == "related_to" for u in g.predecessors(entry)
        )
        if not related and not has_case and "follows" not in rels:
            findings.append(
                Finding(
                    "warning",
                    "orphan_entry",
                    f"{entry} has no cases, no process and no related entry: "
                    "nothing in the graph leads to it but its topic",
                    [entry],
                )
            )

    for process in sorted(n for n, d in g.nodes(data=True) if d.get("kind") == "process"):
        if g.in_degree(process) == 0:
            findings.append(
                Finding(
                    "warning", "unused_process", f"{process} is followed by no entry", [process]
                )
            )

    findings.sort(key=lambda f: (f.level != "error", f.code, f.nodes))
    return findings


def _contains(g: nx.DiGraph) -> list[tuple[str, str]]:
    return [(u, v) for u, v, d in g.edges(data=True) if d["rel"] == "contains"]


def _conflicts(kg: KnowledgeGraph, live: set[str]) -> list[Finding]:
    """Words (keywords or synonyms) that recognise two or more live scenarios."""
    g = kg.g
    claims: dict[str, set[str]] = {}
    for kw, data in g.nodes(data=True):
        if data.get("kind") != "keyword":
            continue
        owners, synonyms = set(), [kw]
        for u in g.predecessors(kw):
            rel = g.edges[u, kw]["rel"]
            if rel == "recognised_by" and u in live:
                owners.add(u)
            elif rel == "synonym_of":
                synonyms.append(u)
        if owners:
            for word in synonyms:
                claims.setdefault(word, set()).update(owners)
    out = []
    for word, owners in sorted(claims.items()):
        if len(owners) > 1:
            names = ", ".join(sorted(o[6:] for o in owners))
            out.append(
                Finding(
                    "warning",
                    "lexicon_conflict",
                    f"「{g.nodes[word]['label']}」 recognises {len(owners)} scenarios "
                    f"({names}): keep it in the one it defines, or pair it with a word "
                    "that tells them apart",
                    [word, *sorted(owners)],
                    g.nodes[word]["label"],
                )
            )
    return out
