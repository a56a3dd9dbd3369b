"""Counts that describe a loaded dataset, for `plangraph stats`, the service description, VoID."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from plangraph.store import GraphStore

PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
PER_CLASS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class }
GROUP BY ?class ORDER BY DESC(?n) ?class
"""
PER_PROPERTY = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n) ?p"


@dataclass(frozen=True)
class Stats:
    triples: int
    per_graph: dict[str, int]
    per_class: dict[str, int]
    per_property: dict[str, int]
    distinct_subjects: int


def compute(graph: GraphStore) -> Stats:
    def counts(query: str, var: str) -> dict[str, int]:
        return {
            row[var].value: int(row["n"].value)
            for row in graph.query(query)  # type: ignore[attr-defined]
            if isinstance(row[var], ox.NamedNode)
        }

    subjects = next(iter(graph.query("SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }")))  # type: ignore[call-overload]
    return Stats(
        triples=len(graph.store),
        per_graph=counts(PER_GRAPH, "g"),
        per_class=counts(PER_CLASS, "class"),
        per_property=counts(PER_PROPERTY, "p"),
        distinct_subjects=int(subjects["n"].value),
    )
