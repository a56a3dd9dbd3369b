"""Parameters bound as a VALUES block at the start of the WHERE group (plangraph/binding.py):
the same answers as pyoxigraph's substitutions, on every shipped query with an example value."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from plangraph import named_queries, store
from plangraph.binding import where_brace, with_values
from plangraph.config import data_dir
from plangraph.sparql import parse_term
from tests.conftest import DATA, REPO

PAGE_QUERIES = REPO / "api" / "page_queries"
EXAMPLES = [
    (query, {p.name: p.example for p in query.params if p.example})
    for folder in (data_dir("queries"), PAGE_QUERIES)
    for query in named_queries.load_all(folder).values()
    if any(p.example for p in query.params)
]


@pytest.fixture(scope="module")
def graph() -> store.GraphStore:
    return store.load([data_dir("ontology"), data_dir("graph")])


def _rows(result: object) -> set[tuple[object, ...]] | bool:
    if isinstance(result, bool):
        return result
    if isinstance(result, ox.QueryTriples):
        return {(t.subject, t.predicate, t.object) for t in result}
    names = [v.value for v in result.variables]  # type: ignore[attr-defined]
    return {tuple(s[n] for n in names) for s in result}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "values"), EXAMPLES, ids=[f"{q.path.parent.name}/{q.name}" for q, _ in EXAMPLES]
)
def test_values_block_answers_as_substitutions_do(
    graph: store.GraphStore, query: named_queries.NamedQuery, values: dict[str, str]
) -> None:
    terms = named_queries.bind(query, values)
    text, left = with_values(query.text, terms)
    assert left == {}, "no place found for the VALUES block"
    assert text != query.text
    substituted = graph.query(
        query.text, substitutions={ox.Variable(k): parse_term(v) for k, v in terms.items()}
    )
    assert _rows(graph.query(text)) == _rows(substituted)


def test_where_inside_comments_iris_and_strings_is_skipped() -> None:
    query = (DATA / "binding" / "where-in-comment-and-string.rq").read_text()
    at = where_brace(query)
    assert at is not None
    assert query[:at].rstrip().endswith("WHERE")
    assert query[at - 7 : at + 1] == "\nWHERE {"


def test_construct_template_is_not_the_where_group() -> None:
    query = (DATA / "binding" / "construct-template.rq").read_text()
    text, _ = with_values(query, {"edition": "<https://w3id.org/plangraph/edition/x>"})
    template, where = text.split("WHERE", 1)
    assert "VALUES" not in template
    assert where.lstrip().startswith(
        "{ VALUES (?edition) { (<https://w3id.org/plangraph/edition/x>) }"
    )


def test_a_string_value_stays_one_literal(graph: store.GraphStore) -> None:
    """A value that looks like SPARQL is one literal: it cannot close the block or the query."""
    query = named_queries.NamedQuery(
        "t",
        Path("t.rq"),
        "SELECT ?s ?q WHERE { ?s ?p ?o } LIMIT 1",
        "t",
        params=(named_queries.Param("q", "string"),),
    )
    hostile = '") } } ; DROP ALL ; SELECT * { ("'
    text, _ = with_values(query.text, named_queries.bind(query, {"q": hostile}))
    rows = list(graph.query(text))  # type: ignore[call-overload]
    assert rows and all(row["q"] == ox.Literal(hostile) for row in rows)


def test_a_query_without_a_where_group_keeps_substitutions() -> None:
    text, left = with_values("DESCRIBE ?x", {"x": "<urn:x:a>"})
    assert text == "DESCRIBE ?x"
    assert left == {"x": "<urn:x:a>"}


def test_the_block_goes_into_union_branches_not_optional_exists_or_subqueries() -> None:
    """Oxigraph does not push VALUES into UNION branches (the describe query ran unbound)."""
    query = (DATA / "binding" / "union-optional-subquery.rq").read_text()
    text, _ = with_values(query, {"x": "<urn:x:a>"})
    block = " VALUES (?x) { (<urn:x:a>) }"
    lines = text.splitlines()
    assert lines[0].endswith("WHERE {" + block)
    assert lines[1] == (
        "  {"
        + block
        + " ?x <urn:x:p> ?y } UNION {"
        + block
        + " ?y <urn:x:q> ?x . {"
        + block
        + " ?x <urn:x:r> ?y } }"
    )
    assert lines[2:] == query.splitlines()[2:]  # OPTIONAL, NOT EXISTS, sub-SELECT, VALUES data
