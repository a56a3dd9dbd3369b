"""Search: the FTS5 trigram index on its own (plangraph/search_index.py), then /search on the
live server over the shipped graph, checked against SPARQL answers from the same server."""

from __future__ import annotations

import re

import pytest
import requests

from plangraph.search_index import SearchIndex
from tests.conftest import Server

BASE = "https://w3id.org/plangraph/"
PG = BASE + "ontology#"


@pytest.fixture(scope="module")
def small() -> SearchIndex:
    rows = [
        ("urn:a", PG + "Institution", "label", "中国人民银行"),
        ("urn:a", PG + "Institution", "label", "People's Bank of China"),
        ("urn:b", PG + "Task", "label", "推进区块链应用"),
        ("urn:b", PG + "Task", "body", "支持人民银行在上海开展试点，推动 blockchain 技术。"),
        ("urn:c", PG + "Place", "alt", "陸家嘴"),  # stored in Traditional
        ("urn:d", None, "label", "50% 的目标_x"),
    ]
    return SearchIndex.from_rows(rows)


def iris(hits) -> list[str]:
    return [h.iri for h in hits]


def test_traditional_query_finds_simplified_text(small: SearchIndex) -> None:
    assert iris(small.search("人民銀行")) == ["urn:a", "urn:b"]  # the name before the text


def test_simplified_query_finds_traditional_text(small: SearchIndex) -> None:
    assert iris(small.search("陆家嘴")) == ["urn:c"]


def test_english_is_case_insensitive_inside_words(small: SearchIndex) -> None:
    assert iris(small.search("BLOCKCHAIN")) == ["urn:b"]
    assert iris(small.search("bank of")) == ["urn:a"]


def test_every_word_must_match(small: SearchIndex) -> None:
    assert iris(small.search("人民银行 上海")) == ["urn:b"]


def test_short_queries_scan_and_still_match(small: SearchIndex) -> None:
    assert iris(small.search("银行")) == ["urn:a", "urn:b"]


def test_like_wildcards_in_the_query_are_literal(small: SearchIndex) -> None:
    assert iris(small.search("%")) == ["urn:d"]
    assert iris(small.search("_x")) == ["urn:d"]


def test_fts_syntax_in_the_query_is_only_text(small: SearchIndex) -> None:
    for text in ['"', "NOT", "a OR b", "中国*", "label:中国", "(", ")"]:
        small.search(text)  # no sqlite3 error escapes


def test_snippet_marks_the_match(small: SearchIndex) -> None:
    (hit,) = [h for h in small.search("blockchain") if h.iri == "urn:b"]
    assert hit.field == "body"
    assert "\x02blockchain\x03" in hit.snippet


# --- on the live server ---------------------------------------------------------------------


def search(server: Server, text: str) -> list[dict[str, str]]:
    response = requests.get(
        server.url + "/search", params={"q": text, "format": "json"}, timeout=30
    )
    assert response.status_code == 200
    return response.json()["hits"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("陆家嘴", "place/lujiazui"),
        ("人民銀行", "institution/pboc"),  # Traditional characters
        ("人民银行", "institution/pboc"),
        ("blockchain", "theme/blockchain"),
        ("People's Bank", "institution/pboc"),
    ],
)
def test_search_finds_the_expected_element(live_server: Server, text: str, expected: str) -> None:
    found = [h["iri"] for h in search(live_server, text)]
    assert BASE + expected in found[:3], found


def test_search_finds_every_task_whose_text_holds_the_words(live_server: Server) -> None:
    response = requests.post(
        live_server.sparql,
        data={
            "query": f"""PREFIX pg: <{PG}> SELECT DISTINCT ?t WHERE {{
                ?t a pg:Task ; pg:text ?x FILTER(CONTAINS(?x, "人民银行")) }}"""
        },
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    tasks = {b["t"]["value"] for b in response.json()["results"]["bindings"]}
    assert tasks
    found = {h["iri"] for h in search(live_server, "人民銀行") if h["kind"] == PG + "Task"}
    assert found == tasks


def test_search_page_groups_hits_by_kind(live_server: Server) -> None:
    response = requests.get(
        live_server.url + "/search",
        params={"q": "人民銀行"},
        headers={"Accept": "text/html"},
        timeout=30,
    )
    assert response.status_code == 200
    groups = re.findall(r'<section class="search-group" id="(\w+)">', response.text)
    assert groups[:2] == ["Institution", "Task"]
    assert "<mark>人民银行</mark>" in response.text


def test_every_page_has_a_search_box(live_server: Server) -> None:
    for path in ["/", "/sparql", "/institution/pboc", "/queries", "/ontology"]:
        markup = requests.get(live_server.url + path, headers={"Accept": "text/html"}, timeout=30)
        assert '<form class="search" role="search" method="get" action="/search">' in markup.text


def test_search_sees_an_update(server_factory) -> None:
    """The index is rebuilt when the data changes (a SPARQL Update with the write token)."""
    from tests.conftest import DATA

    server = server_factory(
        "--data", str(DATA / "mini"), env={"PLANGRAPH_WRITE_TOKEN": "search-test-token"}
    )
    assert search(server, "量子纠缠观测站") == []
    response = requests.post(
        server.sparql,
        data={
            "update": "INSERT DATA { GRAPH <urn:x> { <https://w3id.org/plangraph/place/q> "
            '<http://www.w3.org/2000/01/rdf-schema#label> "量子纠缠观测站"@zh } }'
        },
        headers={"Authorization": "Bearer search-test-token"},
        timeout=30,
    )
    assert response.status_code == 204, response.text
    assert [h["iri"] for h in search(server, "量子糾纏")] == [BASE + "place/q"]
