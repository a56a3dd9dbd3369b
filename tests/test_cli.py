"""The `plangraph` command as a user types it: serve's options, query, stats, and bad arguments."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import requests

from tests.conftest import DATA, PLANGRAPH, REPO, ServerFactory

MINI = str(DATA / "mini")


def plangraph(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PLANGRAPH, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_query_prints_a_table_with_prefixed_names() -> None:
    result = plangraph(
        "query",
        "PREFIX pg: <https://w3id.org/plangraph/ontology#> "
        "SELECT ?task ?n WHERE { ?task a pg:Task ; pg:number ?n } ORDER BY ?n",
        "--data",
        MINI,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["task", "n"]
    assert "task/1" in lines[2] and lines[2].split()[-1] == "1"
    assert lines[-1] == "(2 rows)"


@pytest.mark.parametrize("fmt", ["csv", "json", "tsv", "xml"])
def test_query_writes_standard_result_formats(fmt: str) -> None:
    result = plangraph(
        "query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", fmt, "--data", MINI
    )
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        assert json.loads(result.stdout)["results"]["bindings"][0]["n"]["value"] == "37"
    else:
        assert "37" in result.stdout


def test_query_runs_a_named_query_with_a_parameter() -> None:
    result = plangraph(
        "query",
        "tasks-by-institution",
        "--format",
        "csv",
        "--param",
        "institution=https://w3id.org/plangraph/institution/pboc",
    )
    assert result.returncode == 0, result.stderr
    assert "edition/bj-jinke-2020/task/2" in result.stdout
    assert "edition/sh-fintech-2020/task/15" in result.stdout


def test_query_runs_an_rq_file(tmp_path: Path) -> None:
    query = tmp_path / "count.rq"
    query.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n", encoding="utf-8")
    result = plangraph("query", str(query), "--format", "csv", "--data", MINI)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "37"


def test_construct_prints_turtle() -> None:
    result = plangraph("query", "CONSTRUCT WHERE { ?s a ?o }", "--data", MINI)
    assert result.returncode == 0, result.stderr
    assert (
        "@prefix pg:" in result.stdout or "<https://w3id.org/plangraph/ontology#" in result.stdout
    )


def test_stats_counts_graphs_and_classes() -> None:
    result = plangraph("stats", "--data", MINI, "--format", "json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    # 35 triples in the files, plus the 2 pg:involvesInstitution shortcuts the load step writes
    assert stats["triples"] == 37
    assert stats["graphs"]["https://w3id.org/plangraph/edition/test-mini-2020"] == 31
    assert stats["classes"]["https://w3id.org/plangraph/ontology#Task"] == 2


def test_stats_on_the_shipped_graph_has_one_graph_per_edition() -> None:
    result = plangraph("stats", "--format", "json")
    assert result.returncode == 0, result.stderr
    graphs = json.loads(result.stdout)["graphs"]
    for edition in ("bj-jinke-2020", "sh-fintech-2020", "xc-jinke-2021"):
        assert f"https://w3id.org/plangraph/edition/{edition}" in graphs
    assert "https://w3id.org/plangraph/ontology" in graphs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["frobnicate"], "invalid choice"),
        (["query"], "required"),
        (["serve", "--port", "eighty"], "invalid int value"),
        (["query", "ASK {}", "--data", "/no/such/folder"], "no such file"),
        (["query", "SELECT * WHERE { ?s ?p }", "--data", MINI], "SPARQL syntax error"),
        (["query", "no-such-query.rq"], "no such query file"),
        (["query", "plan-summary", "--param", "nonsense"], "NAME=VALUE"),
        (["query", "INSERT DATA { <a:a> <a:b> <a:c> }", "--data", MINI], "read-only"),
        (["query", "CONSTRUCT WHERE { ?s ?p ?o }", "-f", "csv", "--data", MINI], "SELECT/ASK"),
        (["query", "ASK {}", "-f", "turtle", "--data", MINI], "CONSTRUCT/DESCRIBE"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = plangraph(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_broken_data_file_names_file_line_and_column(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ex: <http://e/> .\nex:a ex:b ex:c\nex:d ex:e ex:f .\n")
    result = plangraph("query", "ASK {}", "--data", str(broken))
    assert result.returncode == 2
    assert f"{broken}:3:" in result.stderr


def test_help_explains_each_subcommand() -> None:
    for command in ("serve", "query", "stats", "validate", "ingest", "export"):
        result = plangraph(command, "--help")
        assert result.returncode == 0
        assert "usage: plangraph " + command in result.stdout


def test_persistent_store_reopens_quickly_when_sources_are_unchanged(
    tmp_path: Path, server_factory: ServerFactory
) -> None:
    store = tmp_path / "store"
    first = server_factory("--data", MINI, "--store", str(store))
    first.process.terminate()
    first.process.wait(timeout=10)
    assert (store / "plangraph-sources.json").is_file()
    second = server_factory("--data", MINI, "--store", str(store))
    answer = requests.get(
        second.sparql,
        params={"query": "SELECT (COUNT(*) AS ?n) {?s ?p ?o}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    assert answer.json()["results"]["bindings"][0]["n"]["value"] == "37"
    log = second.log.read_text()
    assert "reopened" in log, log
    seconds = float(re.search(r"sources unchanged\) in ([0-9.]+) s", log).group(1))
    assert seconds < 1.0, log


def test_a_parameter_the_query_does_not_project_is_bound_too(tmp_path: Path) -> None:
    """Bound by a VALUES block (plangraph/binding.py), not pyoxigraph's substitutions, which
    refused a variable the query does not project."""
    query = tmp_path / "unprojected.rq"
    query.write_text(
        "#+ summary: a parameter that is not projected\n"
        "#+ params: thing (IRI, e.g. urn:x:a)\n"
        "SELECT ?s WHERE { ?s a ?thing }\n",
        encoding="utf-8",
    )
    thing = "thing=https://w3id.org/plangraph/ontology#PlanEdition"
    result = plangraph("query", str(query), "--param", thing, "--data", MINI)
    assert result.returncode == 0, result.stderr
    assert "(1 rows)" in result.stdout or "(1 row)" in result.stdout, result.stdout
    assert "Traceback" not in result.stderr
