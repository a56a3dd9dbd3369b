"""What every blueprint shares: configuration, the loaded store, and the query engine."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

from flask import current_app, has_request_context, request

from plangraph.config import Config
from plangraph.engine import QueryEngine
from plangraph.errors import Overloaded, QueryTimeout
from plangraph.jobs import perform
from plangraph.named_queries import NamedQuery
from plangraph.sparql import QueryJob, QueryOutcome
from plangraph.stats import Stats, compute
from plangraph.store import GraphStore

from .access_log import add_query_ms

SLOW_MEMO = 4096  # query texts remembered as slow
VETTED_MEMO = 4096  # query texts a worker's parser has passed (SERVICE/LOAD/FROM vetting)
# A query that a worker ran within this much CPU time is run in the server's own thread the
# next time on the same data: the hop to a worker costs about as much as such a query itself.
QUICK_SECONDS = 0.002
QUICK_MEMO = 4096
Memo = OrderedDict[tuple[int, bytes], None]  # keys: (data generation, digest of a query)


@dataclass
class AppState:
    config: Config
    graph: GraphStore
    engine: QueryEngine | None = None  # None: run in-process, without a time limit
    named_queries: dict[str, NamedQuery] = field(default_factory=dict)
    generation: int = 0  # bumped by every authorised update; caches key on it
    # One update at a time: each is computed on the data the previous one left.
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    fast: QueryEngine | None = None  # the fast lane (config.fast_lane), tried first by queries
    # Queries that needed more than the fast lane's time: they go straight to the main pool.
    slow_queries: OrderedDict[int, None] = field(default_factory=OrderedDict)
    slow_lock: threading.Lock = field(default_factory=threading.Lock)
    # Digests of query texts that passed vetting on this generation's graphs: the verdict
    # depends on the text and the graph names only, and the parse costs ~1 ms per 100 bytes.
    vetted: Memo = field(default_factory=OrderedDict)
    # Queries known to be quick on this generation's data (see QUICK_SECONDS).
    quick: Memo = field(default_factory=OrderedDict)
    # Set once the search index of the loaded data is built (/readyz waits for it).
    search_ready: threading.Event = field(default_factory=threading.Event)

    @cached_property
    def stats(self) -> Stats:
        """Counts of the loaded data, computed once (the store is read-only)."""
        return compute(self.graph)

    @cached_property
    def named_graphs(self) -> set[str]:
        """The graph names FROM may use; cached, as the store only changes by authorised update."""
        return self.graph.named_graphs()

    def refresh(self) -> None:
        """Forget cached facts about the data after an authorised update."""
        for name in ("stats", "named_graphs"):
            self.__dict__.pop(name, None)
        self.generation += 1
        self.vetted.clear()
        self.quick.clear()

    def run(
        self,
        job: QueryJob,
        *,
        cancelled: Callable[[], bool] | None = None,
        keep_file: bool = False,
    ) -> QueryOutcome:
        """Run an untrusted query: in a worker, under the time limit, when an engine runs.

        `keep_file`: a large answer may come as QueryOutcome.file (a server sends it from there).

        A text that a worker's parser has already passed is not parsed again. A query that a
        worker ran within QUICK_SECONDS of CPU is run in this thread the next time: its cost is
        a property of the text and the data, which only an update (a new generation) changes,
        and it has passed the SERVICE/LOAD/FROM vetting, so it cannot reach the network."""
        key = quick = None
        if job.vet:
            digest = hashlib.blake2b(job.query.encode("utf-8", "surrogatepass"), digest_size=16)
            key = (self.generation, digest.digest())
            if key in self.vetted:
                job = replace(job, vet=False)
        if self.engine is not None:
            quick = (self.generation, _digest(job))
            if quick in self.quick:
                started = time.perf_counter()
                try:
                    return perform(self.graph.store, replace(job, vet=False))  # type: ignore[return-value]
                finally:
                    add_query_ms((time.perf_counter() - started) * 1000)
        outcome: QueryOutcome = self.perform(job, cancelled=cancelled, keep_file=keep_file)  # type: ignore[assignment]
        took = outcome.cpu_seconds  # measured in the worker: no queueing, no hop, no load
        with self.slow_lock:
            if key is not None and job.vet:  # it ran, so the parser passed it
                _remember(self.vetted, key, VETTED_MEMO)
            if quick is not None and took < QUICK_SECONDS and (key is None or key in self.vetted):
                _remember(self.quick, quick, QUICK_MEMO)
        return outcome

    def perform(
        self,
        job: object,
        timeout: float | None = None,
        *,
        retire: bool = False,
        cancelled: Callable[[], bool] | None = None,
        keep_file: bool = False,
    ) -> object:
        """Do any job in a worker (killed at `timeout`, or when the client leaves: `cancelled`,
        else waitress's test for the current Flask request).

        The time it takes is added to the request's query time (the access log's query_ms)."""
        started = time.perf_counter()
        try:
            return self._perform(
                job, timeout, retire=retire, cancelled=cancelled, keep_file=keep_file
            )
        finally:
            add_query_ms((time.perf_counter() - started) * 1000)

    def _perform(
        self,
        job: object,
        timeout: float | None,
        *,
        retire: bool,
        cancelled: Callable[[], bool] | None,
        keep_file: bool,
    ) -> object:
        if self.engine is None:
            return perform(self.graph.store, job)
        cancelled = cancelled or _client_gone()
        if self.fast is not None and isinstance(job, QueryJob):
            key = hash((job.query, repr(job.default_graphs), repr(job.named_graphs)))
            if key not in self.slow_queries:
                try:
                    return self.fast.run(job, cancelled=cancelled, keep_file=keep_file)
                except QueryTimeout:  # not a quick one: remembered, so it skips the lane next time
                    with self.slow_lock:
                        self.slow_queries[key] = None
                        while len(self.slow_queries) > SLOW_MEMO:
                            self.slow_queries.popitem(last=False)
                except Overloaded:
                    pass  # the lane is taken: the main pool, from the start
        return self.engine.run(
            job, timeout, cancelled=cancelled, retire=retire, keep_file=keep_file
        )

    def engines(self) -> list[QueryEngine]:
        return [e for e in (self.engine, self.fast) if e is not None]

    def close(self) -> None:
        for engine in self.engines():
            engine.close()

    def public_iri(self, iri: str) -> str:
        """The address this server answers for a data IRI (they differ behind another domain)."""
        base, public = self.config.base_iri, self.config.public_base
        if public and iri.startswith(base):
            return public + iri[len(base) :]
        return iri


def _digest(job: QueryJob) -> bytes:
    """The query and its dataset: what decides how long it runs."""
    dataset = (job.default_graphs, job.named_graphs, sorted(job.substitutions.items()))
    text = "\0".join([job.query, repr(dataset), job.base_iri or ""])
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _remember(
    memo: OrderedDict[tuple[int, bytes], None], key: tuple[int, bytes], size: int
) -> None:
    memo[key] = None
    while len(memo) > size:
        memo.popitem(last=False)


def _client_gone() -> Callable[[], bool] | None:
    """waitress's own test of whether the client closed its connection (needs its lookahead)."""
    if not has_request_context():
        return None
    return request.environ.get("waitress.client_disconnected")


def state() -> AppState:
    return current_app.extensions["plangraph"]
