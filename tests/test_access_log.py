"""Access logs: one JSON line per request, on by default, to a file on request, or off."""

from __future__ import annotations

import json
import time
from pathlib import Path

import requests

from tests.conftest import DATA, Server, ServerFactory

FIELDS = {
    "time",
    "method",
    "path",
    "status",
    "bytes",
    "duration_ms",
    "query_ms",
    "client",
    "user_agent",
}


def _records(text: str) -> list[dict[str, object]]:
    """The access-log lines among a log's lines (others are the server's own messages)."""
    records = []
    for line in text.splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


def _record_for(log: Path, path: str, agent: str) -> dict[str, object]:
    """The line of the request made with this User-Agent (it is written once the body is sent)."""
    deadline = time.monotonic() + 5
    while True:
        found = [
            r for r in _records(log.read_text()) if r["path"] == path and r["user_agent"] == agent
        ]
        if found or time.monotonic() > deadline:
            assert found, f"no access-log line for {path} by {agent}"
            return found[-1]
        time.sleep(0.05)


def test_a_sparql_request_is_one_json_line_with_its_query_time(mini_server: Server) -> None:
    agent = "access-log-test/1 sparql"
    response = requests.get(
        mini_server.sparql,
        params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"},
        headers={"Accept": "application/sparql-results+json", "User-Agent": agent},
        timeout=10,
    )
    assert response.status_code == 200
    record = _record_for(mini_server.log, "/sparql", agent)
    assert set(record) == FIELDS
    assert record["method"] == "GET"
    assert record["status"] == 200
    assert record["bytes"] == len(response.content)
    assert record["client"] == "127.0.0.1"
    assert isinstance(record["query_ms"], float) and record["query_ms"] > 0
    assert record["duration_ms"] >= record["query_ms"]
    assert str(record["time"]).endswith("+00:00")


def test_a_request_without_a_query_logs_null_query_time(mini_server: Server) -> None:
    agent = "access-log-test/1 health"
    requests.get(mini_server.url + "/healthz", headers={"User-Agent": agent}, timeout=5)
    record = _record_for(mini_server.log, "/healthz", agent)
    assert record["query_ms"] is None
    assert record["status"] == 200


def test_errors_are_logged_with_their_status(mini_server: Server) -> None:
    agent = "access-log-test/1 error"
    response = requests.get(
        mini_server.sparql, params={"query": "SELECT nonsense"}, headers={"User-Agent": agent}
    )
    assert response.status_code == 400
    record = _record_for(mini_server.log, "/sparql", agent)
    assert record["status"] == 400
    assert record["bytes"] == len(response.content)


def test_authorization_and_query_strings_never_reach_the_log(mini_server: Server) -> None:
    agent = "access-log-test/1 secret"
    requests.get(
        mini_server.sparql,
        params={"query": "ASK { ?s ?p 'query-text-secret' }"},
        headers={"Authorization": "Bearer header-token-secret", "User-Agent": agent},
        timeout=10,
    )
    _record_for(mini_server.log, "/sparql", agent)
    text = mini_server.log.read_text()
    assert "header-token-secret" not in text
    assert "query-text-secret" not in text


def test_access_log_goes_to_the_file_given(server_factory: ServerFactory, tmp_path: Path) -> None:
    target = tmp_path / "access.jsonl"
    server = server_factory("--data", str(DATA / "mini"), "--access-log", str(target))
    agent = "access-log-test/1 file"
    requests.get(server.url + "/healthz", headers={"User-Agent": agent}, timeout=5)
    record = _record_for(target, "/healthz", agent)
    assert record["status"] == 200
    assert all(line.startswith("{") for line in target.read_text().splitlines())
    assert _records(server.log.read_text()) == []  # not also on standard error


def test_no_access_log_writes_no_line(server_factory: ServerFactory) -> None:
    server = server_factory("--data", str(DATA / "mini"), "--no-access-log")
    for _ in range(3):
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
    time.sleep(0.2)
    assert _records(server.log.read_text()) == []
