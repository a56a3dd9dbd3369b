"""Regressions of issue 9 ("broken promises"), each run as a user meets it: CLI or live server.

- `plangraph validate --inference rdfs|owlrl|both` died with a traceback inside owlrl (exit 1).
- `plangraph ingest --date 2023-13-01` (and `POST /ingest`) wrote an ill-typed pg:issueDate.
- `plangraph query nope` answered with a SPARQL syntax error instead of naming the queries.
- `GET /sparql` with `Accept: */*` (curl's default) got the HTML editor, not the service
  description.
"""

from __future__ import annotations

import json
import subprocess

import pyoxigraph as ox
import pytest
import requests
from conftest import PLANGRAPH, REPO, SOURCES, Server

from plangraph import named_queries

SHANGHAI = SOURCES / "sh-fintech-2020.txt"
SD = "http://www.w3.org/ns/sparql-service-description#"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PLANGRAPH, *args], capture_output=True, text=True, cwd=REPO, timeout=240
    )


def _validate_json(*args: str) -> dict[str, object]:
    done = run("validate", "-f", "json", *args)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def without_inference() -> dict[str, object]:
    return _validate_json()


@pytest.mark.parametrize("mode", ["rdfs", "owlrl", "both"])
def test_validate_with_inference_runs_on_the_shipped_graph(
    mode: str, without_inference: dict[str, object]
) -> None:
    report = _validate_json("--inference", mode)
    assert report["passes"] is True
    assert report["counts"]["Violation"] == 0  # type: ignore[index]
    # The entailed triples were added and validated with the data.
    assert report["triples"] > without_inference["triples"]  # type: ignore[operator]


@pytest.mark.parametrize("date", ["2023-13-01", "2023-02-30", "2023-2-3"])
def test_ingest_refuses_a_date_that_is_not_in_the_calendar_with_exit_2(date: str) -> None:
    done = run("ingest", str(SHANGHAI), "--edition-id", "sh-draft", "--date", date)
    assert done.returncode == 2
    assert done.stdout == ""
    assert date in done.stderr and done.stderr.count("\n") == 1


def test_ingest_accepts_a_leap_day() -> None:
    done = run("ingest", str(SHANGHAI), "--edition-id", "sh-draft", "--date", "2024-02-29")
    assert done.returncode == 0, done.stderr
    assert '"2024-02-29"^^xsd:date' in done.stdout


@pytest.mark.parametrize("date", ["2023-13-01", "2023-02-30"])
def test_post_ingest_refuses_a_date_that_is_not_in_the_calendar_with_400(
    live_server: Server, date: str
) -> None:
    response = requests.post(
        live_server.url + "/ingest",
        params={"edition-id": "sh-draft", "date": date},
        data=SHANGHAI.read_bytes(),
        headers={"Content-Type": "text/plain"},
        timeout=120,
    )
    assert response.status_code == 400
    assert date in response.text and response.text.count("\n") == 1


def test_unknown_named_query_is_exit_2_and_lists_the_names() -> None:
    done = run("query", "nope")
    assert done.returncode == 2
    assert "unknown named query 'nope'" in done.stderr
    assert "syntax" not in done.stderr
    names = sorted(named_queries.load_all())
    assert names and all(name in done.stderr for name in names)


def test_sparql_with_accept_any_gets_the_service_description(live_server: Server) -> None:
    """curl sends `Accept: */*`; so do most libraries."""
    response = requests.get(live_server.sparql, headers={"Accept": "*/*"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/turtle")
    graph = ox.Store()
    graph.load(response.content, ox.RdfFormat.TURTLE)
    assert any(True for _ in graph.quads_for_pattern(None, None, ox.NamedNode(SD + "Service")))


@pytest.mark.parametrize(
    "accept",
    [
        "text/html",
        # Firefox's and Chromium's navigation Accept headers
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
        "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    ],
)
def test_sparql_for_a_browser_is_the_query_editor(live_server: Server, accept: str) -> None:
    response = requests.get(live_server.sparql, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html" in response.text.lower()
