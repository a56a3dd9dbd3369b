"""Large answers go from the worker to the socket through a file, not through copies.

A worker writes an answer over engine.FILE_BODY to an unlinked temporary file and passes its
descriptor over its socket; the lean /sparql path hands that file to waitress, which sends it
from there, and the access log leaves waitress's file wrapper as it is (wrapped, waitress would
copy the file through its own buffers and spill it to another temporary file). Every other
caller gets the bytes. Each step is checked here: the answer is the same either way, every
byte is counted, and no file stays open once the answer is sent or its client has gone.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
import requests

from plangraph.engine import FILE_BODY, QueryEngine
from plangraph.jobs import perform
from plangraph.sparql import QueryJob, QueryOutcome
from tests.conftest import Server, children
from tests.test_chaos import fill
from tests.test_chaos import small_disk as small_disk  # a fixture, used below by name

FORM = "application/x-www-form-urlencoded"
JSON = "application/sparql-results+json"
# Six copies of every triple of the shipped graph without blank nodes (whose labels differ
# from one server to another): a few MiB of JSON.
LARGE = (
    "SELECT ?s ?p ?o ?n WHERE { VALUES ?n { 1 2 3 4 5 6 } ?s ?p ?o "
    "FILTER(!isBlank(?s) && !isBlank(?o)) } ORDER BY ?n ?s ?p ?o"
)


def _store(triples: int) -> ox.Store:
    store = ox.Store()
    text = " ".join(f'<urn:s{i}> <urn:p> "value {i} {"x" * 40}" .' for i in range(triples))
    store.update("INSERT DATA { " + text + " }")
    return store


def test_the_engine_hands_a_large_answer_over_as_a_file_and_a_small_one_as_bytes() -> None:
    store = _store(20_000)
    job = QueryJob("SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s", "json", max_rows=10**6)
    expected = perform(store, job)
    assert isinstance(expected, QueryOutcome) and len(expected.body) > FILE_BODY
    engine = QueryEngine(lambda: store, workers=1, timeout=30).start()
    try:
        kept = engine.run(job, keep_file=True)
        assert isinstance(kept, QueryOutcome) and kept.file is not None
        with kept.file:
            assert kept.body == b"" and kept.size == len(expected.body)
            assert kept.file.read() == expected.body
        assert (kept.rows, kept.truncated) == (expected.rows, False) == (20_000, False)
        read = engine.run(job)  # a caller that did not ask for a file gets the bytes
        assert isinstance(read, QueryOutcome) and read.file is None
        assert read.body == expected.body
        small = engine.run(QueryJob("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", "json"), keep_file=True)
        assert isinstance(small, QueryOutcome) and small.file is None and small.rows == 3
    finally:
        engine.close()


def test_the_access_log_leaves_the_servers_file_wrapper_as_it_is(tmp_path: Path) -> None:
    from plangraph.api import create_app
    from plangraph.api.state import AppState
    from waitress.buffers import ReadOnlyFileBasedBuffer

    from plangraph import store
    from plangraph.config import Config

    log = tmp_path / "access.jsonl"
    config = Config(data=[Path(__file__).parent / "data" / "mini"], access_log=str(log))
    app = create_app(AppState(config, store.load(config.data)))
    copies = " ".join(map(str, range(200)))  # ~2 MB: over SMALL_BODY, in memory (no worker)
    query = "SELECT ?s ?p ?o ?n WHERE { VALUES ?n { " + copies + " } ?s ?p ?o }"
    body = urlencode({"query": query}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/sparql",
        "QUERY_STRING": "",
        "CONTENT_TYPE": FORM,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_ACCEPT": JSON,
        "wsgi.input": io.BytesIO(body),
        "wsgi.file_wrapper": ReadOnlyFileBasedBuffer,
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
    }
    headers: dict[str, str] = {}
    answer = app.wsgi_app(environ, lambda status, h, exc=None: headers.update(h))
    assert type(answer) is ReadOnlyFileBasedBuffer  # what waitress sends without copying
    length = int(headers["Content-Length"])
    assert answer.prepare() == length > 64 * 1024
    assert not log.exists() or log.read_text() == ""  # logged once sent, not before
    answer.close()
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["path"], r["status"], r["bytes"]) for r in records] == [("/sparql", 200, length)]


def _open_answer_files(server: Server) -> list[str]:
    """Unlinked files the server or its workers hold open (a large answer is one)."""
    pids = [server.process.pid, *children(server.process.pid)]
    pids += [grand for child in pids[1:] for grand in children(child)]
    held = []
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        for fd in fds.iterdir() if fds.exists() else []:
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.endswith("(deleted)"):
                    held.append(f"{pid}: {target}")
    return held


def _held_after_a_while(server: Server) -> list[str]:
    deadline = time.monotonic() + 5
    while (held := _open_answer_files(server)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return held


def test_a_large_answer_is_sent_whole_and_logged_at_its_length(live_server: Server) -> None:
    """Through the lean path (a form POST) and through Flask (a chunked one, which reads the
    file into bytes): the same bytes, every one counted, no file left open."""
    assert _held_after_a_while(live_server) == []
    agent = "large-answers-test/whole"
    body = urlencode({"query": LARGE}).encode()
    lean = requests.post(
        live_server.sparql,
        data=body,
        headers={"Accept": JSON, "User-Agent": agent, "Content-Type": FORM},
        timeout=60,
    )
    routed = requests.post(
        live_server.sparql,
        data=iter([body[:10], body[10:]]),
        headers={"Accept": JSON, "Content-Type": FORM},
        timeout=60,
    )
    assert lean.status_code == routed.status_code == 200
    assert len(lean.content) > FILE_BODY
    assert lean.content == routed.content
    assert int(lean.headers["Content-Length"]) == len(lean.content)
    assert lean.headers["X-PlanGraph-Rows"] == routed.headers["X-PlanGraph-Rows"]
    deadline = time.monotonic() + 5
    while True:
        logged = [
            json.loads(line)
            for line in live_server.log.read_text().splitlines()
            if line.startswith("{") and agent in line
        ]
        if logged or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [r["bytes"] for r in logged] == [len(lean.content)]
    assert _held_after_a_while(live_server) == []


def test_a_client_that_leaves_a_large_answer_leaves_no_file_open(live_server: Server) -> None:
    body = urlencode({"query": LARGE}).encode()
    port = int(live_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(
            f"POST /sparql HTTP/1.1\r\nHost: x\r\nAccept: {JSON}\r\nContent-Type: {FORM}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")  # the answer has begun: leave
    assert _held_after_a_while(live_server) == []


@pytest.mark.usefixtures("small_disk")
def test_a_full_temporary_directory_keeps_large_answers_whole(
    live_server: Server, server_factory, request: pytest.FixtureRequest
) -> None:
    """The worker's file fails part-way (64 KiB left): the answer stays in memory and crosses
    the worker's socket as it did before files, whole; the next one too."""
    disk = request.getfixturevalue("small_disk")
    server = server_factory(env={"TMPDIR": str(disk)})
    fill(disk)
    body = urlencode({"query": LARGE}).encode()
    headers = {"Accept": JSON, "Content-Type": FORM}
    expected = requests.post(live_server.sparql, data=body, headers=headers, timeout=60)
    assert len(expected.content) > FILE_BODY
    for _ in range(2):
        got = requests.post(server.sparql, data=body, headers=headers, timeout=60)
        assert got.status_code == 200, got.text
        assert got.content == expected.content
        assert got.headers["X-PlanGraph-Rows"] == expected.headers["X-PlanGraph-Rows"]
