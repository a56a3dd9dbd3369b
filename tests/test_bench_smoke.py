"""The benchmark's synthetic corpus is valid, deterministic and in the ontology's shape.

No timing here: bench/sparql_bench.py measures; these tests only make sure that what it measures
is a plan-shaped graph that the project's own loader reads as users' files are read.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox
import pytest

from plangraph import store

REPO = Path(__file__).resolve().parent.parent
PG = "https://w3id.org/plangraph/ontology#"
ONTOLOGY_GRAPH = "https://w3id.org/plangraph/ontology"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


synthetic = _module("synthetic")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return synthetic.generate(3, tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def graph(corpus) -> store.GraphStore:
    return store.load(corpus.files)


def _select(graph: store.GraphStore, query: str) -> list[ox.QuerySolution]:
    prefixes = f"PREFIX pg: <{PG}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    return list(graph.query(prefixes + query))  # type: ignore[call-overload]


def test_each_edition_file_loads_into_the_named_graph_of_its_edition(corpus, graph):
    by_file = {f.path: f.graph for f in graph.files}
    assert [by_file[path] for path in corpus.edition_files] == corpus.editions
    assert len(set(corpus.editions)) == 3
    assert set(corpus.editions) <= graph.named_graphs()
    for stem in ("institutions", "places", "themes", "plans", "sources"):
        assert f"https://w3id.org/plangraph/graph/{stem}" in graph.named_graphs()


def test_each_edition_graph_has_the_classes_of_a_plan(corpus, graph):
    expected = {
        "PlanEdition",
        "Preamble",
        "GuidingIdeology",
        "Principle",
        "Goal",
        "TaskArea",
        "Task",
        "SpatialLayout",
        "SourceSpan",
        "BasisDocument",
    }
    for edition in corpus.editions:
        rows = _select(graph, f"SELECT DISTINCT ?c WHERE {{ GRAPH <{edition}> {{ ?s a ?c }} }}")
        classes = {r["c"].value.removeprefix(PG) for r in rows}
        assert expected <= classes, f"{edition} lacks {expected - classes}"
        assert "Zone" in classes, f"{edition} has no zone"
        roles = _select(graph, f"SELECT ?r WHERE {{ GRAPH <{edition}> {{ ?z pg:zoneRole ?r }} }}")
        assert roles, f"{edition} has no zone role"


def test_the_corpus_has_targets_with_every_field_of_the_model(graph):
    rows = _select(
        graph,
        """SELECT ?t WHERE { ?t a pg:Target ; pg:ofGoal ?g ; pg:value ?v ;
        pg:unit ?u ; pg:comparator ?c ; pg:basis ?b ; pg:deadline ?d ; pg:measures ?m }""",
    )
    assert rows


def test_tasks_carry_number_heading_text_labels_themes_and_institution_roles(graph):
    incomplete = _select(
        graph,
        """SELECT ?t WHERE { ?t a pg:Task .
        FILTER NOT EXISTS { ?t pg:number ?n ; pg:printedNumber ?p ; pg:heading ?h ; pg:text ?x ;
            pg:inTaskArea ?a ; pg:theme ?th ; pg:evidence ?e .
            ?t rdfs:label ?zh , ?en . FILTER(LANG(?zh) = "zh" && LANG(?en) = "en") } }""",
    )
    assert incomplete == []
    roles = {
        r["p"].value.removeprefix(PG)
        for r in _select(
            graph,
            """SELECT DISTINCT ?p WHERE {
        ?t a pg:Task ; ?p ?i . ?i a ?k . ?k rdfs:subClassOf pg:Institution }""",
        )
    }
    assert {"leadInstitution", "supportsInstitution", "inferredResponsibleInstitution"} <= roles


def test_every_inference_says_what_it_was_inferred_from(graph):
    silent = _select(
        graph,
        """SELECT ?s WHERE { ?s pg:inferred true .
        FILTER NOT EXISTS { ?s rdfs:comment ?why } }""",
    )
    assert silent == []
    assert _select(graph, "SELECT ?s WHERE { ?s pg:inferred true } LIMIT 1")


def test_every_term_in_our_namespaces_is_defined_by_the_ontology(graph):
    undefined = _select(
        graph,
        f"""SELECT DISTINCT ?term WHERE {{
        {{ ?s ?term ?o }} UNION {{ ?s ?p ?term }}
        FILTER(isIRI(?term) && (STRSTARTS(STR(?term), "{PG}")
            || STRSTARTS(STR(?term), "https://w3id.org/plangraph/unit/")))
        FILTER NOT EXISTS {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?term ?x ?y }} }} }}""",
    )
    assert [r["term"].value for r in undefined] == []


def test_every_evidence_span_quotes_its_synthetic_source_text(corpus, graph):
    rows = _select(
        graph,
        """PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?path ?quote ?start ?end WHERE { ?span oa:hasSelector ?q , ?p ;
        oa:hasSource ?doc . ?q oa:exact ?quote . ?p oa:start ?start ; oa:end ?end .
        ?doc pg:localCopy ?path }""",
    )
    assert len(rows) > 100
    texts: dict[str, str] = {}
    for row in rows:
        path = row["path"].value
        text = texts.setdefault(path, (corpus.root / path).read_text(encoding="utf-8"))
        start, end = int(row["start"].value), int(row["end"].value)
        assert text[start:end] == row["quote"].value


def test_task_texts_contain_the_words_the_text_filter_queries_look_for(graph):
    rows = _select(
        graph, 'SELECT ?t WHERE { ?t a pg:Task ; pg:text ?x FILTER(CONTAINS(?x, "区块链")) }'
    )
    assert rows


def test_generation_is_deterministic_and_independent_of_corpus_size(corpus, tmp_path):
    again = synthetic.generate(2, tmp_path / "again")
    for path in again.edition_files:
        assert path.read_bytes() == (corpus.root / "editions" / path.name).read_bytes()
    assert again.editions == corpus.editions[:2]
    assert synthetic.edition_iri(1) == corpus.editions[1]


def test_a_different_seed_gives_different_texts(corpus, tmp_path):
    other = synthetic.generate(1, tmp_path / "other", seed=7)
    first = corpus.root / "editions" / other.edition_files[0].name
    assert other.edition_files[0].read_bytes() != first.read_bytes()


def test_cli_writes_the_corpus_and_prints_the_triple_count(tmp_path):
    out = tmp_path / "cli"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "synthetic.py"),
            "--editions",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "2 editions" in done.stdout and "triples" in done.stdout
    assert len(list((out / "editions").glob("*.ttl"))) == 2


def test_cli_refuses_zero_editions_with_exit_2(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "synthetic.py"),
            "--editions",
            "0",
            "--out",
            str(tmp_path / "x"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "at least 1" in done.stderr


def test_every_benchmark_query_runs_on_a_small_corpus(tmp_path):
    bench = _module("sparql_bench")
    small = synthetic.generate(8, tmp_path / "small")  # edition 7 is the one queries name
    graph = store.load(small.files)
    run = bench.in_process_runner(graph.store)
    queries = bench.load_queries()
    assert len(queries) >= 10
    for query in queries:
        _, body = run(query)
        assert bench.count_rows(query, body) > 0, query.name
