"""/healthz and /readyz, asked of a real server as a load balancer asks them."""

from __future__ import annotations

import threading
import time

import requests

from tests.conftest import DATA, Server, ServerFactory

# A cross product over the whole graph: it holds its worker until the time limit.
SLOW = (
    "SELECT (COUNT(*) AS ?n) WHERE "
    "{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r }"
)


def _ready(server: Server, seconds: float = 20) -> requests.Response:
    """/readyz once it says ready (the search index is built beside the server)."""
    deadline = time.monotonic() + seconds
    while True:
        response = requests.get(server.url + "/readyz", timeout=5)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_healthz_answers_json_that_is_never_cached(mini_server: Server) -> None:
    response = requests.get(mini_server.url + "/healthz", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_once_data_and_index_are_there(mini_server: Server) -> None:
    response = _ready(mini_server)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["probe_ms"] < 1000
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_while_every_worker_is_busy_and_ready_again_after(
    server_factory: ServerFactory,
) -> None:
    server = server_factory(
        "--data", str(DATA / "mini"), "--workers", "1", "--fast-lane", "0", "--query-timeout", "3"
    )
    assert _ready(server).status_code == 200
    query = {"params": {"query": SLOW}, "timeout": 30}
    slow = threading.Thread(target=requests.get, args=(server.sparql,), kwargs=query)
    slow.start()
    busy = None
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        response = requests.get(server.url + "/readyz", timeout=5)
        if response.status_code == 503:
            busy = response
            break
        time.sleep(0.05)
    slow.join(timeout=30)
    assert busy is not None, "/readyz never said not ready while the only worker was busy"
    assert busy.json()["status"] == "not ready"
    assert "busy" in busy.json()["reason"]
    assert "\n" not in busy.json()["reason"]
    assert busy.headers["Cache-Control"] == "no-store"
    assert busy.headers["Retry-After"] == "1"
    # the time limit freed the worker: ready again, and /healthz said alive throughout
    assert _ready(server, 10).status_code == 200
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
