"""The row count and the caps of an answer, read from the bytes the serialiser writes.

Answers are serialised once, straight into the asked format, and their rows are counted from
the bytes (engine rows are not parsed again). Literals that look like the marks between rows
must not be counted as rows; every format's X-PlanGraph-Rows is checked against an independent
parser of the body, with and without a row cap.
"""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

DATA = Path(__file__).parent / "data" / "answer-rows"
EVERY = "SELECT ?s ?comment WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#comment> ?comment "
QUERY = EVERY + "}"
# A JSON answer holding "{}" is counted by the slower exact route; this one is counted from bytes.
NO_BRACES = EVERY + 'FILTER(!CONTAINS(?comment, "{}")) }'
FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
LITERALS = 15  # the rdfs:comment values in row-marks-in-literals.ttl
WITHOUT_BRACES = 13  # those that do not hold "{}"


@pytest.fixture(scope="module")
def rows_server(server_factory):
    return server_factory("--data", str(DATA))


@pytest.fixture(scope="module")
def capped_server(server_factory):
    return server_factory("--data", str(DATA), "--max-rows", "4")


def _ask(server, media: str, query: str = QUERY) -> requests.Response:
    response = requests.post(
        server.url + "/sparql",
        data=query.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": media},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response


def _parsed_rows(media: str, body: bytes) -> list[ox.QuerySolution]:
    if media == "text/csv":  # pyoxigraph reads no CSV: count records with Python's csv module
        import csv

        return list(csv.reader(io.StringIO(body.decode(), newline="")))[1:]
    return list(ox.parse_query_results(body, FORMATS[media]))


@pytest.mark.parametrize("query, rows", [(NO_BRACES, WITHOUT_BRACES), (QUERY, LITERALS)])
@pytest.mark.parametrize("media", FORMATS)
def test_rows_header_counts_rows_not_marks_inside_literals(rows_server, media, query, rows):
    response = _ask(rows_server, media, query)
    assert len(_parsed_rows(media, response.content)) == rows
    assert response.headers["X-PlanGraph-Rows"] == str(rows)
    assert "X-PlanGraph-Truncated" not in response.headers


@pytest.mark.parametrize("media", FORMATS)
def test_row_cap_cuts_at_exactly_max_rows_and_says_so(capped_server, media):
    response = _ask(capped_server, media)
    assert len(_parsed_rows(media, response.content)) == 4
    assert response.headers["X-PlanGraph-Rows"] == "4"
    assert response.headers["X-PlanGraph-Truncated"] == "true; max-rows=4"


@pytest.mark.parametrize("media", FORMATS)
def test_answer_of_exactly_max_rows_is_not_marked_truncated(capped_server, media):
    query = QUERY + " ORDER BY ?comment LIMIT 4"
    response = _ask(capped_server, media, query)
    assert len(_parsed_rows(media, response.content)) == 4
    assert response.headers["X-PlanGraph-Rows"] == "4"
    assert "X-PlanGraph-Truncated" not in response.headers


def test_empty_rows_are_counted(rows_server):
    response = _ask(rows_server, "application/sparql-results+json", "SELECT * WHERE {}")
    assert response.json()["results"]["bindings"] == [{}]
    assert response.headers["X-PlanGraph-Rows"] == "1"


@pytest.mark.parametrize("media", ["application/n-triples", "text/turtle"])
def test_construct_rows_and_cap(rows_server, capped_server, media):
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    whole = _ask(rows_server, media, query)
    fmt = ox.RdfFormat.from_media_type(media)
    assert len(list(ox.parse(whole.content, fmt))) == LITERALS
    assert whole.headers["X-PlanGraph-Rows"] == str(LITERALS)
    cut = _ask(capped_server, media, query)
    assert len(list(ox.parse(cut.content, fmt))) == 4
    assert cut.headers["X-PlanGraph-Truncated"] == "true; max-rows=4"


@pytest.mark.parametrize("media", FORMATS)
def test_rows_are_counted_exactly_across_the_serialisers_chunks(rows_server, media):
    """Rows are counted chunk by chunk as the serialiser writes (8 KiB at a time): marks and
    look-alikes split between two chunks must count once. 3,000 copies of the literals put them
    at every offset, and the answer (over 1 MiB in JSON) crosses from its worker as a file."""
    copies = " ".join(str(n) for n in range(3000))
    query = NO_BRACES.replace("WHERE { ", "WHERE { VALUES ?n { " + copies + " } ", 1)
    response = _ask(rows_server, media, query.replace("?comment WHERE", "?comment ?n WHERE", 1))
    rows = 3000 * WITHOUT_BRACES
    assert len(_parsed_rows(media, response.content)) == rows
    assert response.headers["X-PlanGraph-Rows"] == str(rows)
    if media == "application/sparql-results+json":
        assert len(response.content) > 1024 * 1024
