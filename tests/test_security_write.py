"""Write mode loses nothing: regression tests for issue 10, "Why" item 5 (the server side).

Live servers with --write-token (and --store where persistence is the point), real clients.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import DATA, Server, ServerFactory, stop_server

TOKEN = "s3cret"
MINI = DATA / "mini"
BUSY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def update(server: Server, text: str, timeout: float = 30) -> requests.Response:
    return requests.post(
        server.sparql,
        data=text.encode(),
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"},
        timeout=timeout,
    )


def values(server: Server, subject: str) -> set[str]:
    for _ in range(5):  # a 503 with Retry-After is asked again, as a polite client does
        response = requests.get(
            server.sparql,
            params={"query": f"SELECT ?v WHERE {{ <{subject}> <urn:x:v> ?v }}"},
            headers={"Accept": "application/json"},
            timeout=30,
        )
        if response.status_code != 503 or "Retry-After" not in response.headers:
            break
        time.sleep(float(response.headers["Retry-After"]))
    assert response.status_code == 200, response.text
    return {b["v"]["value"] for b in response.json()["results"]["bindings"]}


def server_processes(port: int) -> list[int]:
    """Processes started as this server (its workers are forks: same command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"serve" in cmdline and str(port).encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def describe(pids: list[int]) -> str:
    """pid, parent pid and state of each process, for a failure message."""
    lines = []
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        lines.append(f"{pid} ppid={fields[1]} state={fields[0]}")
    return "; ".join(lines)


def copy_of_mini(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    return data


@pytest.fixture(scope="module")
def writable(server_factory: ServerFactory) -> Server:
    return server_factory("--data", str(MINI), "--write-token", TOKEN, "--workers", "2")


def test_reads_after_an_acknowledged_update_always_see_it(writable: Server) -> None:
    stop = threading.Event()

    def keep_workers_busy() -> None:
        while not stop.is_set():
            requests.get(writable.sparql, params={"query": BUSY}, timeout=30)

    readers = [threading.Thread(target=keep_workers_busy) for _ in range(2)]
    for reader in readers:
        reader.start()
    stale = []
    try:
        for i in range(30):
            assert (
                update(writable, f"INSERT DATA {{ <urn:x:raw> <urn:x:v> {i} }}").status_code == 204
            )
            if str(i) not in values(writable, "urn:x:raw"):
                stale.append(i)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert stale == []


def test_an_update_runs_under_its_own_time_limit(server_factory: ServerFactory) -> None:
    server = server_factory("--data", str(MINI), "--write-token", TOKEN, "--update-timeout", "1")
    started = time.monotonic()
    response = update(
        server,
        "INSERT { ?a <urn:x:v> ?x } WHERE { GRAPH ?g1 { ?a ?b ?c } GRAPH ?g2 { ?d ?e ?f } "
        "GRAPH ?g3 { ?g ?h ?i } GRAPH ?g4 { ?j ?k ?l } "
        "BIND(CONCAT(STR(?c), STR(?f), STR(?i), STR(?l)) AS ?x) }",  # 25^4 new triples
    )
    assert response.status_code == 503
    assert "time limit" in response.text
    assert time.monotonic() - started < 10
    answer = requests.get(
        server.sparql,
        params={"query": "ASK { ?s <urn:x:v> ?o }"},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert answer.json()["boolean"] is False


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        TOKEN,  # the token without its scheme
        f"bearer {TOKEN}",
        f"Bearer  {TOKEN}",
        f"Basic {TOKEN}",
        "Bearer wrong",
        "Bearer sécret".encode("latin-1"),
        "Bearer 写入令牌".encode(),
    ],
    ids=[
        "none",
        "no-scheme",
        "lowercase",
        "two-spaces",
        "basic",
        "wrong",
        "latin-1",
        "utf-8",
    ],
)
def test_authorization_is_strict_and_never_a_500(
    writable: Server, authorization: str | bytes | None
) -> None:
    headers: dict[str, str | bytes] = {"Content-Type": "application/sparql-update"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = requests.post(
        writable.sparql,
        data=b"INSERT DATA { <urn:x:auth> <urn:x:v> 1 }",
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert values(writable, "urn:x:auth") == set()


def test_no_worker_outlives_the_server_after_updates(server_factory: ServerFactory) -> None:
    server = server_factory("--data", str(MINI), "--write-token", TOKEN, "--workers", "2")
    port = int(server.url.rsplit(":", 1)[1])
    busy = [
        threading.Thread(
            target=lambda: requests.get(server.sparql, params={"query": BUSY}, timeout=60)
        )
        for _ in range(2)
    ]
    for thread in busy:
        thread.start()
    time.sleep(0.3)
    for i in range(3):
        assert update(server, f"INSERT DATA {{ <urn:x:orphan> <urn:x:v> {i} }}").status_code == 204
    for thread in busy:
        thread.join()
    # main, two zygotes (main pool, fast lane), the current workers (2 + 1); old ones are gone
    expected = 1 + 2 + 2 + 1
    deadline = time.monotonic() + 10
    while len(server_processes(port)) > expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(server_processes(port)) <= expected, describe(server_processes(port))
    stop_server(server)
    deadline = time.monotonic() + 10
    while server_processes(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server_processes(port) == [], describe(server_processes(port))


def test_a_touched_source_does_not_drop_accepted_updates(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    data, store = copy_of_mini(tmp_path), tmp_path / "store"
    args = ("--data", str(data), "--store", str(store), "--write-token", TOKEN)
    first = server_factory(*args)
    assert update(first, "INSERT DATA { <urn:x:kept> <urn:x:v> 'accepted' }").status_code == 204
    stop_server(first)
    source = sorted(data.glob("*.ttl"))[0]
    with source.open("a", encoding="utf-8") as out:  # an edit: new content and a new mtime
        out.write("\n<urn:x:edited> <urn:x:v> 'from the source' .\n")
    later = time.time() + 5
    os.utime(source, (later, later))
    second = server_factory(*args)
    assert values(second, "urn:x:kept") == {"accepted"}  # the update, replayed
    assert values(second, "urn:x:edited") == {"from the source"}  # and the edit
    stop_server(second)


def test_killing_the_server_during_writes_loses_no_acknowledged_update(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    data, store = copy_of_mini(tmp_path), tmp_path / "store"
    args = ("--data", str(data), "--store", str(store), "--write-token", TOKEN)
    server = server_factory(*args)
    port = int(server.url.rsplit(":", 1)[1])
    acknowledged: list[int] = []

    def write() -> None:
        for i in range(10_000):
            try:
                response = update(server, f"INSERT DATA {{ <urn:x:log> <urn:x:v> {i} }}", 5)
            except requests.exceptions.RequestException:
                return
            if response.status_code == 204:
                acknowledged.append(i)

    writer = threading.Thread(target=write)
    writer.start()
    # Killed mid-stream: after 2 s and at least 3 acknowledged writes (a loaded machine is slow).
    started = time.monotonic()
    while time.monotonic() - started < 60 and (
        len(acknowledged) < 3 or time.monotonic() - started < 2.0
    ):
        time.sleep(0.05)
    os.kill(server.process.pid, signal.SIGKILL)
    writer.join()
    deadline = time.monotonic() + 10
    while server_processes(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server_processes(port) == []  # the zygote and workers died with it
    assert len(acknowledged) >= 3
    restarted = server_factory(*args)
    found = {int(v) for v in values(restarted, "urn:x:log")}
    assert set(acknowledged) <= found
    stop_server(restarted)
