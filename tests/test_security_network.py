"""No query or update reaches the network: a listener on loopback counts the connections.

Every attempt in tests/data/bypass/ is sent to a live server; the trap must see none, with the
parser's SERVICE/LOAD check on (the clear first answer) and with it off, so that the workers'
missing network is proven alone — by namespaces, and by the seccomp fallback.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import DATA, Server, ServerFactory

BYPASS = DATA / "bypass"
ATTEMPTS = sorted(p for p in BYPASS.iterdir() if p.suffix in {".rq", ".ru"})
TOKEN = "trap-token"
LEAK = "LEAKED-FROM-THE-TRAP"
# DESCRIBE names a remote IRI but never fetches it: an empty answer, not a refusal.
ANSWERED = {"describe-remote.rq"}


class Trap:
    """A loopback listener that counts connections and answers like a SPARQL endpoint."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        body = (
            '{"head":{"vars":["s","p","o"]},"results":{"bindings":[{"s":{"type":"literal",'
            f'"value":"{LEAK}"}},"p":{{"type":"literal","value":"x"}},'
            '"o":{"type":"literal","value":"x"}}]}}'
        ).encode()
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def trap() -> Iterator[Trap]:
    trap = Trap()
    with socket.create_connection(("127.0.0.1", trap.port), timeout=2):
        pass  # the counter itself works: one connection seen, then forgotten
    for _ in range(50):
        if trap.connections:
            break
        threading.Event().wait(0.02)
    assert trap.connections == 1
    trap.connections = 0
    yield trap
    trap.close()


def _send(server: Server, attempt: Path, port: int) -> requests.Response:
    text = attempt.read_bytes().decode("utf-8").replace("TRAP_PORT", str(port))
    if attempt.suffix == ".ru":
        headers = {
            "Content-Type": "application/sparql-update",
            "Authorization": f"Bearer {TOKEN}",
        }
    else:
        headers = {"Content-Type": "application/sparql-query", "Accept": "application/json"}
    return requests.post(server.sparql, data=text.encode(), headers=headers, timeout=30)


def _server(server_factory: ServerFactory, **env: str) -> Server:
    return server_factory("--data", str(DATA / "mini"), "--write-token", TOKEN, env=env)


@pytest.fixture(scope="module")
def checked(server_factory: ServerFactory) -> Server:
    return _server(server_factory)


@pytest.fixture(scope="module")
def unchecked(server_factory: ServerFactory) -> Server:
    """The parser's check off: only the operating system stands between queries and network."""
    return _server(server_factory, PLANGRAPH_SERVICE_CHECK="0")


@pytest.fixture(scope="module")
def unchecked_seccomp(server_factory: ServerFactory) -> Server:
    """As `unchecked`, with the fallback used where namespaces are not allowed."""
    return _server(server_factory, PLANGRAPH_SERVICE_CHECK="0", PLANGRAPH_SANDBOX="seccomp")


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda p: p.name)
def test_bypass_attempt_is_refused_without_a_connection(
    checked: Server, trap: Trap, attempt: Path
) -> None:
    response = _send(checked, attempt, trap.port)
    if attempt.name in ANSWERED:
        assert response.status_code == 200
    else:
        assert 400 <= response.status_code < 500, response.text
    assert "Traceback" not in response.text
    assert LEAK not in response.text
    assert trap.connections == 0


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda p: p.name)
def test_bypass_attempt_makes_no_connection_with_the_parser_check_off(
    unchecked: Server, unchecked_seccomp: Server, trap: Trap, attempt: Path
) -> None:
    for server in (unchecked, unchecked_seccomp):
        response = _send(server, attempt, trap.port)
        assert response.status_code < 500, response.text
        assert LEAK not in response.text
        assert trap.connections == 0, f"{attempt.name} reached the network"


def test_the_server_says_how_its_workers_lost_the_network(
    checked: Server, unchecked_seccomp: Server
) -> None:
    assert "have no network (own" in checked.log.read_text()
    assert "have no network (seccomp" in unchecked_seccomp.log.read_text()


def test_a_plain_query_mentioning_service_in_a_string_still_runs(checked: Server) -> None:
    query = 'SELECT ?x WHERE { BIND("SERVICE, LOAD and FROM are words" AS ?x) }'
    response = requests.get(
        checked.sparql, params={"query": query}, headers={"Accept": "text/csv"}, timeout=10
    )
    assert response.status_code == 200
    assert "SERVICE, LOAD and FROM are words" in response.text
