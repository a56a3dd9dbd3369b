"""A SPARQL 1.1 Protocol endpoint seen as the part of a pyoxigraph store plangraph uses.

`RemoteStore` answers `query`, `quads_for_pattern`, `named_graphs`, `len()` and iteration with
real pyoxigraph objects (`ox.QuerySolutions`, `ox.QueryBoolean`, `ox.Triple`, `ox.Quad`), parsed
from the engine's own answers, so `sparql.execute`, the pages, the named queries, the dumps and
the statistics run over it unchanged, and plangraph's caps and formats apply the same way.
A query whose answer the engine already writes as plangraph would is answered with the engine's
own bytes instead (`RemoteStore.pass_through`, called by `sparql.execute`), rows counted in
them. Requests go over kept-alive connections (`_Pool`).

The dataset is the engine's graphs that `plangraph load --to` put there (its manifest graph names
them), sent explicitly with every request as `default-graph-uri` (their union, as the in-process
store's default graph is) and `named-graph-uri`: an engine's own graphs (Virtuoso's system graphs)
never leak into an answer. Engines' deviations from the protocol are undone here (`_undo_json`,
`_undo_ntriples`, `_results`, `_check_complete`): Virtuoso's pre-1.1 "typed-literal" JSON, its
`nodeID://` blank nodes, its silent row cap (`X-SPARQL-MaxRows`, paged where the query allows, else
an error), its partial "anytime" answers at its time limit (`X-SQL-State`), and its RDF/XML default
(an explicit Accept is always sent).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import re
import socket
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from plangraph.config import BASE_IRI, Config
from plangraph.errors import QuerySyntaxError, QueryTimeout, RemoteFailed
from plangraph.sparql import (
    _TOKEN,
    ANALYSED_MAX,
    GRAPH_FORMATS,
    RESULT_FORMATS,
    QueryJob,
    QueryOutcome,
    _analysed,
    _Counted,
    _Enough,
    _solutions,
    analyse,
    where_brace,
)
from plangraph.sparql import _triples as _cut_triples
from plangraph.store import GraphStore

QRF = ox.QueryResultsFormat
PATTERN_MEMO = 2048  # quad patterns remembered, each with at most PATTERN_MEMO_QUADS quads
PATTERN_MEMO_QUADS = 256
JSON_RESULTS = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
# The graph where `plangraph load --to` records what it loaded: graph IRI -> content hash, and
# the prefixes the files declared (sh:declare, as SHACL-SPARQL declares prefixes).
MANIFEST_GRAPH = f"{BASE_IRI}load-manifest"
IDENTIFIER = ox.NamedNode("http://purl.org/dc/terms/identifier")
DECLARE = ox.NamedNode("http://www.w3.org/ns/shacl#declare")
SH_PREFIX = ox.NamedNode("http://www.w3.org/ns/shacl#prefix")
SH_NAMESPACE = ox.NamedNode("http://www.w3.org/ns/shacl#namespace")
# Virtuoso's time limits answer 500: its estimate of the time (42000), or the time itself (SR171)
_VIRTUOSO_TIME_LIMIT = re.compile(r"\bSR171\b|\bS1T00\b|estimated execution time")
_TYPED_LITERAL = re.compile(rb'(?<!\\)"type"(\s*):(\s*)"typed-literal"')
_XSD_BOOLEAN = rb"http://www\.w3\.org/2001/XMLSchema#boolean"
_JSON_BOOLEAN = re.compile(
    rb'("datatype"\s*:\s*"' + _XSD_BOOLEAN + rb'"\s*,\s*"value"\s*:\s*)"([01])"'
)
_NT_BOOLEAN = re.compile(rb'"([01])"\^\^<' + _XSD_BOOLEAN + rb">")
_BOOLEAN_WORD = {b"1": b"true", b"0": b"false"}
_VIRTUOSO_BNODE = re.compile(
    rb'(?<!\\)"type"(\s*):(\s*)"bnode"(\s*),(\s*)"value"(\s*):(\s*)"nodeID://'
)


@dataclass(frozen=True)
class Endpoint:
    """Where an engine answers: queries, and optionally updates and the Graph Store Protocol."""

    query_url: str
    update_url: str | None = None
    graph_store_url: str | None = None
    timeout: float = 10.0  # the query time limit: an answer not complete by then is a 503

    def __post_init__(self) -> None:
        for url in (self.query_url, self.update_url, self.graph_store_url):
            if url is not None and urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
                raise RemoteFailed(f"not an http(s) URL: {url} / 不是 http(s) 地址")


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


def request(
    url: str,
    fields: Sequence[tuple[str, str]] = (),
    *,
    accept: str | None = None,
    timeout: float,
    method: str = "POST",
    body: bytes | None = None,
    content_type: str | None = None,
) -> Answer:
    """One HTTP exchange, read whole within `timeout` seconds; failures are one-line errors.

    Over a kept-alive connection from a small pool per engine (`_POOLS`): a new TCP connection
    per request, as urllib makes, costs 0.3-0.5 ms and a thread in the engine each time."""
    if body is None and fields:
        body = _encoded(fields)
        content_type = "application/x-www-form-urlencoded"
    parts = urllib.parse.urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"User-Agent": "plangraph"}
    if accept:
        headers["Accept"] = accept
    if content_type:
        headers["Content-Type"] = content_type
    deadline = time.monotonic() + timeout
    pool = _pool(parts.scheme, parts.netloc)
    try:
        status, reason, answer_headers, data = pool.exchange(
            method, path, body, headers, deadline, url, timeout
        )
    except TimeoutError:
        raise _timeout(url, timeout) from None
    except (http.client.HTTPException, OSError) as err:
        raise RemoteFailed(f"cannot reach the engine at {url}: {err} / 无法连接远程引擎") from None
    if status >= 400:
        text = data[:2000].decode("utf-8", "replace").strip()
        first = next((line for line in text.splitlines() if line.strip()), "")
        if status in {400, 422}:
            raise QuerySyntaxError(f"the engine refused the request / 引擎拒绝: {first}")
        if _VIRTUOSO_TIME_LIMIT.search(text):
            raise QueryTimeout(
                f"the engine stopped the query at its own time limit: {first} / 远程引擎查询超时"
            )
        raise RemoteFailed(
            f"the engine at {url} answered {status} {reason}: {first} / 远程引擎出错"
        )
    if 300 <= status < 400:
        where = answer_headers.get("location", "?")
        raise RemoteFailed(
            f"the engine at {url} answered {status} {reason}, pointing to {where}: give that "
            f"address instead / 远程引擎要求重定向，请改用该地址"
        )
    return Answer(status, answer_headers, data)


def _encoded(fields: Sequence[tuple[str, str]]) -> bytes:
    """A form body. The short fields are remembered encoded: the same dataset parameters (one
    pair per graph, ~0.2 ms to encode) go with every query; a long query text is not kept."""
    return "&".join(
        _pair(name, value) if len(value) <= 1024 else urllib.parse.urlencode([(name, value)])
        for name, value in fields
    ).encode()


@functools.lru_cache(maxsize=4096)
def _pair(name: str, value: str) -> str:
    return urllib.parse.urlencode([(name, value)])


POOL_IDLE = 16  # idle connections kept per engine; more are opened under load, then closed
# Failures of a kept-alive connection that the engine closed while it was idle: nothing of the
# request was read, so it is sent again once on a new connection.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class _Pool:
    """Kept-alive HTTP/1.1 connections to one engine, most recently used first."""

    def __init__(self, scheme: str, netloc: str) -> None:
        self.scheme = scheme
        self.netloc = netloc
        self.idle: list[http.client.HTTPConnection] = []
        self.lock = threading.Lock()

    def _new(self, timeout: float) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return kind(self.netloc, timeout=timeout)

    def exchange(
        self,
        method: str,
        path: str,
        body: bytes | None,
        headers: dict[str, str],
        deadline: float,
        url: str,
        timeout: float,
    ) -> tuple[int, str, dict[str, str], bytes]:
        with self.lock:
            conn = self.idle.pop() if self.idle else None
        reused = conn is not None
        if conn is None:
            conn = self._new(timeout)
        try:
            while True:
                remaining = max(deadline - time.monotonic(), 0.001)
                conn.timeout = remaining
                if conn.sock is not None:
                    conn.sock.settimeout(remaining)
                try:
                    conn.request(method, path, body, headers)
                    arm = _quick_acks(conn.sock)
                    arm()
                    response = conn.getresponse()
                except _STALE:
                    if not reused:
                        raise
                    conn.close()
                    conn, reused = self._new(timeout), False
                    continue
                break
            if response.chunked:
                data, whole = _read_chunked(response.fp, deadline, url, timeout, arm)
            else:
                data, whole = _read_plain(response, deadline, url, timeout, arm), True
            status, reason = response.status, response.reason
            answer_headers = _headers(response.headers)
            keep = whole and not response.will_close and conn.sock is not None
            response.close()
        except BaseException:
            conn.close()
            raise
        if keep:
            with self.lock:
                if len(self.idle) < POOL_IDLE:
                    self.idle.append(conn)
                    conn = None
        if conn is not None:
            conn.close()
        return status, reason, answer_headers, data


_POOLS: dict[tuple[str, str], _Pool] = {}
_POOLS_LOCK = threading.Lock()


def close_connections() -> None:
    """Close every idle connection to every engine (the next request opens a new one)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
    for pool in pools:
        with pool.lock:
            idle, pool.idle = pool.idle, []
        for conn in idle:
            conn.close()


def _pool(scheme: str, netloc: str) -> _Pool:
    with _POOLS_LOCK:
        pool = _POOLS.get((scheme, netloc))
        if pool is None:
            pool = _POOLS[(scheme, netloc)] = _Pool(scheme, netloc)
        return pool


def _quick_acks(sock: socket.socket | None) -> Callable[[], None]:
    """What turns delayed acknowledgements off for the next reads (Linux's TCP_QUICKACK, which
    the kernel resets): on a kept-alive connection, an engine that writes an answer in pieces
    with Nagle's algorithm on (Virtuoso) waits for the acknowledgement of one piece before it
    sends the next, and Linux delays it by up to 40 ms. Measured: a 50 kB answer from Virtuoso
    9 ms on a new connection, 56 ms on a kept one, 10 ms with this."""
    option = getattr(socket, "TCP_QUICKACK", None)
    if sock is None or option is None:
        return lambda: None

    def arm() -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, option, 1)

    return arm


def _read_plain(
    response: http.client.HTTPResponse,
    deadline: float,
    url: str,
    timeout: float,
    arm: Callable[[], None],
) -> bytes:
    chunks = []
    while chunk := response.read(1 << 16):
        chunks.append(chunk)
        arm()
        if time.monotonic() > deadline:
            raise _timeout(url, timeout)
    return b"".join(chunks)


def _read_chunked(
    stream: object,
    deadline: float,
    url: str,
    timeout: float,
    arm: Callable[[], None] = lambda: None,
) -> tuple[bytes, bool]:
    """A chunked body, read in large blocks and cut apart here: http.client reads chunk by chunk
    in Python, and Oxigraph's server writes a 3,000-triple answer as ~600 chunks (~10 ms).
    Also says whether the answer's end (the blank line after any trailers) was read, so that
    the connection can carry the next request."""
    buffer = b""
    pos = 0
    parts = []
    find = buffer.find
    while True:
        newline = find(b"\r\n", pos)
        if newline >= 0:
            try:
                size = int(buffer[pos:newline], 16)
            except ValueError:  # a chunk extension (";name=value"), which is ignored
                size = int(buffer[pos:newline].split(b";", 1)[0], 16)
            start = newline + 2
            end = start + size
            if size == 0:
                rest = buffer[start:]
                while not rest.startswith(b"\r\n") and b"\r\n\r\n" not in rest:
                    more = stream.read1(1 << 12)  # type: ignore[attr-defined]
                    if not more:
                        return b"".join(parts), False
                    rest += more
                return b"".join(parts), True
            if end + 2 > len(buffer):  # a chunk not yet whole: what it lacks, in one read
                arm()
                buffer += stream.read(end + 2 - len(buffer))  # type: ignore[attr-defined]
                find = buffer.find
                if len(buffer) < end + 2:
                    raise _cut_short(url)
                if time.monotonic() > deadline:
                    raise _timeout(url, timeout)
            parts.append(buffer[start:end])
            pos = end + 2
            continue
        if time.monotonic() > deadline:
            raise _timeout(url, timeout)
        arm()
        more = stream.read1(1 << 16)  # type: ignore[attr-defined]
        if not more:
            raise _cut_short(url)
        buffer = buffer[pos:] + more
        find = buffer.find
        pos = 0


def _cut_short(url: str) -> RemoteFailed:
    return RemoteFailed(f"the engine at {url} closed its answer early / 远程引擎的应答中断")


def _headers(message: object) -> dict[str, str]:
    return {k.lower(): v for k, v in message.items()}  # type: ignore[attr-defined]


def _timeout(url: str, seconds: float) -> QueryTimeout:
    return QueryTimeout(
        f"the engine at {url} did not answer within {seconds:g} s / 远程引擎未在时限内作答"
    )


class RemoteStore:
    """The store operations plangraph uses, over a SPARQL 1.1 Protocol endpoint."""

    def __init__(
        self,
        endpoint: Endpoint,
        graphs: Sequence[str] | None = None,
        *,
        max_rows: int | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.max_rows = max_rows  # stop paging a capped answer past this many rows
        self.prefixes: dict[str, str] = {}
        self.hashes: dict[str, str] = {}
        self.server = ""  # the engine's Server header
        self.cap: int | None = None  # the engine's row cap, once an answer showed it
        # Pages look the same patterns up again and again (labels, owners of a span): small
        # answers are kept, as the app keeps its statistics, until the server restarts.
        self._patterns: OrderedDict[tuple[object, ...], list[ox.Quad]] = OrderedDict()
        self._patterns_lock = threading.Lock()
        self.graphs = list(graphs) if graphs is not None else self._discover()
        if graphs is None:
            self._probe_cap()

    # --- what pyoxigraph.Store offers -----------------------------------------------------

    def query(
        self,
        query: str,
        *,
        use_default_graph_as_union: bool = False,
        default_graph: Sequence[ox.NamedNode] | ox.NamedNode | None = None,
        named_graphs: Sequence[ox.NamedNode] | None = None,
        substitutions: Mapping[ox.Variable, object] | None = None,
        base_iri: str | None = None,
    ) -> object:
        """Like `ox.Store.query`: solutions, a boolean, or an iterator of triples."""
        text = request_text(query, substitutions, base_iri)
        info = _analysed(text) if len(text) <= ANALYSED_MAX else analyse(text)
        dataset = self._dataset(bool(info.from_graphs), default_graph, named_graphs)
        if info.form in {"CONSTRUCT", "DESCRIBE"}:
            return iter(self._triples(text, dataset))
        return self._results(text, dataset)

    def pass_through(self, job: QueryJob, options: Mapping[str, object]) -> QueryOutcome | None:
        """The answer to a checked query as the engine wrote it, where those bytes are what
        plangraph would send: the engine's own format, no deviation to undo, under the caps.

        Virtuoso's deviations in JSON and N-Triples are undone in the bytes (the same rewrites
        the parsed route makes before parsing). Rows are counted in the bytes (as
        sparql._Counted counts plangraph's own output), so the row and byte caps, and the
        detection of an engine's silent cap, apply as on the parsed route, which takes over —
        from the same bytes, without asking again — where a cap is reached. None: this format
        or engine is not passed through (sparql.execute then asks by the parsed route)."""
        text = request_text(job.query, options.get("substitutions"), job.base_iri)  # type: ignore[arg-type]
        info = _analysed(text) if len(text) <= ANALYSED_MAX else analyse(text)
        media = self._passable(info.form, job.fmt)
        if media is None:
            return None
        dataset = self._dataset(
            bool(info.from_graphs),
            options.get("default_graph"),  # type: ignore[arg-type]
            options.get("named_graphs"),  # type: ignore[arg-type]
        )
        answer = self._post(text, dataset, media)
        _check_complete(answer)
        if answer.headers.get("content-type", "").split(";")[0].strip().lower() != media:
            return None  # the engine chose another format: asked again, as JSON
        body = answer.body
        virtuoso = self.server.startswith("Virtuoso")
        if info.form in {"CONSTRUCT", "DESCRIBE"}:
            body = _undo_ntriples(body) if virtuoso else body
            rows = body.count(b"\n")
            cap = _cap(answer) or self.cap
            odd = virtuoso and b"nodeID://" in body  # blank nodes, in a form not seen here
            if odd or (cap is not None and rows >= cap) or not self._under(job, rows, body):
                triples = self._triples(text, dataset, answer)
                return _cut_triples(iter(triples), job, lambda: iter(triples))  # type: ignore[arg-type]
            return QueryOutcome(body, media, False, rows)
        if info.form == "ASK":
            if virtuoso and b"true" not in body and b"false" not in body:
                return None  # not the boolean answer seen in the tests
            return QueryOutcome(body, media, False, 1)
        fmt = RESULT_FORMATS[job.fmt][1]
        if virtuoso:  # its JSON is laid out one row a line; its deviations are undone in place
            body = _undo_json(body)
            rows = _virtuoso_rows(body)
            if _cap(answer) is not None or rows is None or not self._under(job, rows, body):
                result = self._results(text, dataset, answer)
                return _solutions(result, job, lambda: self._results(text, dataset, answer))  # type: ignore[arg-type]
            return QueryOutcome(body, media, False, rows)
        counted = _Counted(fmt, job.max_rows, job.max_bytes)
        with contextlib.suppress(_Enough):  # it stops at a cap, saying which in `over`
            counted.write(body)
        rows = counted.rows
        if counted.over or not self._under(job, rows, body):
            if fmt == QRF.CSV:
                return None  # CSV cannot be read back: asked again, as JSON, and cut
            return _solutions(
                ox.parse_query_results(body, fmt),
                job,
                lambda: ox.parse_query_results(body, fmt),
            )
        return QueryOutcome(body, media, False, rows)

    def _passable(self, form: str, fmt: str) -> str | None:
        """The media type to ask the engine for, when its answer in it can be passed on:
        Oxigraph's server writes every results format and N-Triples as pyoxigraph does;
        Virtuoso's JSON results and N-Triples, once its deviations are undone in them."""
        oxigraph = self.server.startswith("Oxigraph")
        if not oxigraph and not self.server.startswith("Virtuoso"):
            return None
        if form in {"SELECT", "ASK"} and fmt in RESULT_FORMATS and (oxigraph or fmt == "json"):
            return RESULT_FORMATS[fmt][0]
        if form in {"CONSTRUCT", "DESCRIBE"} and fmt == "ntriples":
            return GRAPH_FORMATS[fmt][0]
        return None

    @staticmethod
    def _under(job: QueryJob, rows: int, body: bytes) -> bool:
        return rows <= job.max_rows and len(body) <= job.max_bytes

    def quads_for_pattern(
        self,
        subject: object = None,
        predicate: object = None,
        object: object = None,  # pyoxigraph's own parameter names
        graph_name: object = None,
    ) -> Iterator[ox.Quad]:
        """The quads matching a pattern, in our graphs; none in the (empty) default graph."""
        if isinstance(graph_name, ox.DefaultGraph) or any(
            isinstance(t, ox.BlankNode) for t in (subject, predicate, object, graph_name)
        ):
            return iter(())  # loaded data has no blank nodes left: they were skolemised
        key = (subject, predicate, object, graph_name)
        with self._patterns_lock:
            if key in self._patterns:
                self._patterns.move_to_end(key)
                return iter(self._patterns[key])
        graphs = self.graphs
        if graph_name is not None:
            if str(graph_name.value) not in self.graphs:  # type: ignore[attr-defined]
                return iter(())
            graphs = [graph_name.value]  # type: ignore[attr-defined]
        pattern = ((subject, "s"), (predicate, "p"), (object, "o"))
        terms = " ".join(str(t) if t is not None else f"?{v}" for t, v in pattern)
        order = " ".join(f"?{v}" for t, v in pattern if t is None)
        # ordered, so that an answer an engine caps can be paged
        text = f"SELECT * WHERE {{ GRAPH ?g {{ {terms} }} }} ORDER BY ?g {order}"
        solutions = self._results(text, [("named-graph-uri", g) for g in graphs])
        fixed = {"s": subject, "p": predicate, "o": object}
        quads = []
        for row in solutions:  # type: ignore[attr-defined]
            s, p, o = (fixed[v] if fixed[v] is not None else row[v] for v in ("s", "p", "o"))
            quads.append(ox.Quad(s, p, o, row["g"]))
        if len(quads) <= PATTERN_MEMO_QUADS:
            with self._patterns_lock:
                self._patterns[key] = quads
                while len(self._patterns) > PATTERN_MEMO:
                    self._patterns.popitem(last=False)
        return iter(quads)

    def prefetch(self, subjects: Sequence[object], predicates: Sequence[object]) -> None:
        """Look up every (subject, predicate) pair in one request per 200 subjects and remember
        the answers, so that the quads_for_pattern calls that follow ask nothing (a page looks
        up the labels of all the resources it links to)."""
        wanted = [
            s
            for s in subjects
            if isinstance(s, ox.NamedNode)
            and any((s, p, None, None) not in self._patterns for p in predicates)
        ]
        named = [("named-graph-uri", g) for g in self.graphs]
        for start in range(0, len(wanted), 200):
            batch = wanted[start : start + 200]
            text = (
                f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {' '.join(map(str, batch))} }} "
                f"VALUES ?p {{ {' '.join(map(str, predicates))} }} GRAPH ?g {{ ?s ?p ?o }} }} "
                "ORDER BY ?s ?p ?g ?o"
            )
            found: dict[tuple[object, ...], list[ox.Quad]] = {
                (s, p, None, None): [] for s in batch for p in predicates
            }
            for row in self._results(text, named):  # type: ignore[attr-defined]
                found[(row["s"], row["p"], None, None)].append(
                    ox.Quad(row["s"], row["p"], row["o"], row["g"])
                )
            with self._patterns_lock:
                for key, quads in found.items():
                    if len(quads) <= PATTERN_MEMO_QUADS:
                        self._patterns[key] = quads
                while len(self._patterns) > PATTERN_MEMO:
                    self._patterns.popitem(last=False)

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        return iter(ox.NamedNode(g) for g in self.graphs)

    def contains_named_graph(self, graph: ox.NamedNode) -> bool:
        return graph.value in self.graphs

    def __iter__(self) -> Iterator[ox.Quad]:
        return self.quads_for_pattern(None, None, None, None)

    def __len__(self) -> int:
        text = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        rows = list(self._results(text, [("named-graph-uri", g) for g in self.graphs]))  # type: ignore[call-overload]
        return int(rows[0]["n"].value) if rows else 0

    def update(self, update: str) -> None:
        """Send a SPARQL Update to the engine's update endpoint."""
        if self.endpoint.update_url is None:
            raise RemoteFailed("no update endpoint given (--update-endpoint) / 未指定更新端点")
        request(
            self.endpoint.update_url,
            [("update", update)],
            timeout=self.endpoint.timeout,
        )

    # --- the protocol ------------------------------------------------------------------------

    def _dataset(
        self,
        has_from: bool,
        default_graph: Sequence[ox.NamedNode] | ox.NamedNode | None,
        named_graphs: Sequence[ox.NamedNode] | None,
    ) -> list[tuple[str, str]]:
        """The protocol's dataset parameters: the query's own FROM wins, as in-process."""
        if default_graph is None and named_graphs is None and has_from:
            return []
        if isinstance(default_graph, ox.NamedNode):
            default_graph = [default_graph]
        defaults = [g.value for g in default_graph] if default_graph is not None else self.graphs
        named = [g.value for g in named_graphs] if named_graphs is not None else self.graphs
        fields = [("default-graph-uri", g) for g in defaults]
        fields += [("named-graph-uri", g) for g in named]
        if not defaults:  # an empty default graph: one that cannot exist
            fields.append(("default-graph-uri", "urn:x-plangraph:no-graph"))
        if not named:
            fields.append(("named-graph-uri", "urn:x-plangraph:no-graph"))
        return fields

    def _post(self, text: str, dataset: list[tuple[str, str]], accept: str) -> Answer:
        answer = request(
            self.endpoint.query_url,
            [("query", text), *dataset],
            accept=accept,
            timeout=self.endpoint.timeout,
        )
        self.server = answer.headers.get("server", "")
        self.cap = _cap(answer) or self.cap
        return answer

    def _probe_cap(self) -> None:
        """Virtuoso cuts CONSTRUCT and DESCRIBE answers at its row cap without saying so (no
        X-SPARQL-MaxRows): the cap is learnt from one SELECT it cuts (at most cap rows)."""
        if self.server.startswith("Virtuoso") and self.cap is None:
            probe = "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
            self._post(probe, [("named-graph-uri", g) for g in self.graphs], JSON_RESULTS)

    def _results(
        self, text: str, dataset: list[tuple[str, str]], answer: Answer | None = None
    ) -> object:
        """Solutions or a boolean; a capped answer is paged with LIMIT/OFFSET, or refused.
        `answer`: the engine's JSON answer to this request, when already in hand."""
        answer = answer or self._post(text, dataset, JSON_RESULTS)
        parsed = _parse_results(answer)
        cap = _cap(answer)
        if cap is None or isinstance(parsed, ox.QueryBoolean):
            return parsed
        tsv = _tsv(parsed)  # type: ignore[arg-type]
        if _rows(tsv) < cap:
            return ox.parse_query_results(tsv, QRF.TSV)
        words = _top_level_words(text)
        ordered = "ORDER" in words
        if "FROM" in words or (ordered and words & {"LIMIT", "OFFSET"}):
            raise RemoteFailed(
                f"the engine cut the answer at {cap} rows (X-SPARQL-MaxRows) and the query cannot "
                "be paged (it has FROM, or ORDER BY with LIMIT/OFFSET); raise the engine's "
                "ResultSetMaxRows, or narrow the query / "
                f"远程引擎将结果截断为 {cap} 行，且该查询无法分页"
            )
        if not ordered:  # an order over every variable: windows of it neither skip nor repeat
            names = [v.value for v in parsed.variables]  # type: ignore[attr-defined]
            text = _wrap(
                text, "SELECT * WHERE { ", "\n} ORDER BY " + " ".join(f"?{n}" for n in names)
            )
        # Windows of the ordered query as a subquery: Virtuoso refuses ORDER BY with an OFFSET
        # past its MaxSortedTopRows (SR353), not a sorted subquery windowed from outside.
        pages: list[bytes] = []
        total = 0
        while self.max_rows is None or total <= self.max_rows:
            window = self._post(_window(text, total, cap), dataset, JSON_RESULTS)
            page = _tsv(_parse_results(window))  # type: ignore[arg-type]
            rows = _rows(page)
            pages.append(page if not pages else page.split(b"\n", 1)[1] if rows else b"")
            total += rows
            if rows < cap:
                break
        return ox.parse_query_results(b"".join(pages), QRF.TSV)

    def _triples(
        self, text: str, dataset: list[tuple[str, str]], answer: Answer | None = None
    ) -> list[ox.Quad]:
        answer = answer or self._post(text, dataset, N_TRIPLES)
        _check_complete(answer)
        body = _undo_ntriples(answer.body)
        try:  # quads in the default graph: they serialise as triples, and cost less to make
            triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as err:
            raise RemoteFailed(f"the engine's N-Triples cannot be read: {err} / 无法解析") from None
        cap = _cap(answer) or self.cap
        if cap is not None and len(triples) >= cap:
            raise RemoteFailed(
                f"the engine cuts answers at {cap} rows (X-SPARQL-MaxRows) and this graph has "
                f"{len(triples)} triples, so it may be cut; raise the engine's ResultSetMaxRows, "
                f"or ask with SELECT, which is paged / 远程引擎可能将结果截断为 {cap} 个三元组"
            )
        return triples

    def _discover(self) -> list[str]:
        """Our graphs: those the load manifest names, else every named graph the engine has."""
        text = f"SELECT ?g ?hash WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ ?g {IDENTIFIER} ?hash }} }}"
        rows = list(self._results(text, []))  # type: ignore[call-overload]
        self.hashes = {r["g"].value: r["hash"].value for r in rows}
        prefix_rows = self._results(
            f"SELECT ?name ?ns WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ ?m {DECLARE} ?d . "
            f"?d {SH_PREFIX} ?name ; {SH_NAMESPACE} ?ns }} }}",
            [],
        )
        self.prefixes = {r["name"].value: r["ns"].value for r in prefix_rows}  # type: ignore[attr-defined]
        if self.hashes:
            return sorted(self.hashes)
        rows = list(self._results("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", []))  # type: ignore[call-overload]
        return sorted(r["g"].value for r in rows if r["g"].value != MANIFEST_GRAPH)


# --- undoing engines' deviations, in one place ----------------------------------------------


def _undo_json(body: bytes) -> bytes:
    """Virtuoso's JSON results as SPARQL 1.1 JSON results; only the deviating bytes change."""
    if b"typed-literal" in body:  # Virtuoso: SPARQL 1.0's JSON term type, gone from 1.1
        body = _TYPED_LITERAL.sub(rb'"type"\1:\2"literal"', body)
    if b"XMLSchema#boolean" in body:  # Virtuoso: stored booleans come back as 1 and 0
        body = _JSON_BOOLEAN.sub(lambda m: m[1] + b'"' + _BOOLEAN_WORD[m[2]] + b'"', body)
    if b"nodeID://" in body:  # Virtuoso names blank nodes nodeID://b123, not a valid label
        body = _VIRTUOSO_BNODE.sub(rb'"type"\1:\2"bnode"\3,\4"value"\5:\6"', body)
    return body


def _undo_ntriples(body: bytes) -> bytes:
    if b"XMLSchema#boolean" in body:  # Virtuoso: stored booleans come back as 1 and 0
        body = _NT_BOOLEAN.sub(lambda m: b'"' + _BOOLEAN_WORD[m[1]] + b'"' + m[0][3:], body)
    return body


def _parse_results(answer: Answer) -> object:
    _check_complete(answer)
    body = _undo_json(answer.body)
    try:
        return ox.parse_query_results(body, QRF.JSON)
    except SyntaxError as err:
        media = answer.headers.get("content-type", "?")
        raise RemoteFailed(
            f"the engine's answer ({media}) is not SPARQL JSON results: {err} / 无法解析远程结果"
        ) from None


_VIRTUOSO_BINDINGS = b'"bindings": ['
_VIRTUOSO_ROW = b"\n    {"


def _virtuoso_rows(body: bytes) -> int | None:
    """Rows of Virtuoso's JSON results, counted in its layout: each row on a line of its own
    (a JSON string cannot hold a raw newline). None where the bytes are not laid out so."""
    start = body.find(_VIRTUOSO_BINDINGS)
    if start < 0:
        return None
    rows = body.count(_VIRTUOSO_ROW, start)
    return rows if body.count(b"\n", start) == rows else None


def _check_complete(answer: Answer) -> None:
    """Virtuoso's "anytime" answers: at its own time limit it answers 200 with what it has."""
    state = answer.headers.get("x-sql-state")
    if state:
        message = answer.headers.get("x-sql-message", "")
        raise QueryTimeout(
            f"the engine stopped the query at its time limit and sent a partial answer "
            f"({state} {message}); it is not passed on / 远程引擎超时，只返回了部分结果"
        )


def _cap(answer: Answer) -> int | None:
    value = answer.headers.get("x-sparql-maxrows")
    return int(value) if value and value.strip().isdigit() else None


def _tsv(solutions: ox.QuerySolutions) -> bytes:
    import io

    out = io.BytesIO()
    solutions.serialize(out, QRF.TSV)
    return out.getvalue()


def _rows(tsv: bytes) -> int:
    return max(tsv.count(b"\n") - 1, 0) if tsv.endswith(b"\n") else tsv.count(b"\n")


def _top_level_words(text: str) -> set[str]:
    """Keywords outside any bracket (the solution modifiers of the outer query)."""
    depth = 0
    words = set()
    for match in _TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group()
        if kind == "other":
            if value in "{([":
                depth += 1
            elif value in "})]":
                depth -= 1
        elif kind == "word" and depth == 0:
            words.add(value.upper())
    return words


def _window(query: str, offset: int, limit: int) -> str:
    """One window of a SELECT query's answer: the query as a subquery, LIMIT/OFFSET outside."""
    return _wrap(query, "SELECT * WHERE { ", f"\n}} LIMIT {limit} OFFSET {offset}")


def _wrap(query: str, before: str, after: str) -> str:
    """The query, its prologue (BASE, PREFIX) left in front, as a subquery of another."""
    depth = 0
    for match in _TOKEN.finditer(query):
        kind, value = match.lastgroup, match.group()
        if kind == "other":
            depth += value in "{(["
            depth -= value in "})]"
        elif kind == "word" and depth == 0 and value.upper() == "SELECT":
            start = match.start()
            return f"{query[:start]}{before}{query[start:]}{after}"
    raise RemoteFailed("only SELECT answers can be paged / 只有 SELECT 结果可以分页")


def request_text(
    query: str, substitutions: Mapping[ox.Variable, object] | None, base_iri: str | None
) -> str:
    """The query text the engine is sent: parameters bound, the base IRI declared."""
    text = bind(query, substitutions) if substitutions else query
    return f"BASE <{base_iri}>\n{text}" if base_iri else text


def bind(query: str, substitutions: Mapping[ox.Variable, object]) -> str:
    """pyoxigraph's `substitutions` as a VALUES block first in the WHERE clause, which binds
    the variables before the rest is evaluated, as substitution does; terms are written in
    their N-Triples form, which SPARQL reads as the same terms."""
    position = where_brace(query)
    if position is None:
        raise QuerySyntaxError("cannot bind parameters: the query has no WHERE clause")
    names = " ".join(f"?{v.value}" for v in substitutions)
    terms = " ".join(str(t) for t in substitutions.values())
    return f"{query[:position]} VALUES ({names}) {{ ({terms}) }} {query[position:]}"


def open_graph(config: Config) -> GraphStore:
    """The dataset a remote engine holds, as the GraphStore every part of plangraph reads."""
    assert config.sparql_endpoint is not None
    endpoint = Endpoint(
        config.sparql_endpoint,
        config.update_endpoint,
        config.graph_store,
        timeout=config.query_timeout,
    )
    remote = RemoteStore(endpoint, max_rows=config.max_rows)
    if not remote.graphs:
        raise RemoteFailed(
            f"the engine at {endpoint.query_url} holds no named graphs: load it first with "
            "`plangraph load --to URL` / 远程引擎中没有命名图，请先用 plangraph load --to 装载"
        )
    return GraphStore(remote, prefixes=remote.prefixes)  # type: ignore[arg-type]


def is_remote(graph: GraphStore) -> bool:
    return isinstance(graph.store, RemoteStore)


def download(graph: GraphStore, folder: Path) -> list[Path]:
    """Each of the engine's graphs as an N-Quads file in `folder` (for validating them)."""
    files = []
    for number, name in enumerate(graph.store.graphs):  # type: ignore[attr-defined]
        quads = list(graph.store.quads_for_pattern(None, None, None, ox.NamedNode(name)))
        path = folder / f"{number:04d}-{name.rstrip('/').rsplit('/', 1)[-1] or 'graph'}.nq"
        with path.open("wb") as out:
            ox.serialize(quads, out, ox.RdfFormat.N_QUADS)
        files.append(path)
    return files
