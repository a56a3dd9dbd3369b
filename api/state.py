"""What every blueprint shares: configuration, the loaded store, and the query engine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from flask import current_app, has_request_context, request

from plangraph.config import Config
from plangraph.engine import QueryEngine
from plangraph.jobs import perform
from plangraph.named_queries import NamedQuery
from plangraph.sparql import QueryJob, QueryOutcome
from plangraph.stats import Stats, compute
from plangraph.store import GraphStore


@dataclass
class AppState:
    config: Config
    graph: GraphStore
    engine: QueryEngine | None = None  # None: run in-process, without a time limit
    named_queries: dict[str, NamedQuery] = field(default_factory=dict)
    generation: int = 0  # bumped by every authorised update; caches key on it
    # One update at a time: each is computed on the data the previous one left.
    write_lock: threading.Lock = field(default_factory=threading.Lock)

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

    def run(self, job: QueryJob) -> QueryOutcome:
        """Run an untrusted query: in a worker, under the time limit, when an engine runs."""
        return self.perform(job)  # type: ignore[return-value]

    def perform(self, job: object, timeout: float | None = None, *, retire: bool = False) -> object:
        """Do any job in a worker (killed at `timeout`, or when the client leaves)."""
        if self.engine is None:
            return perform(self.graph.store, job)
        return self.engine.run(job, timeout, cancelled=_client_gone(), retire=retire)

    def public_iri(self, iri: str) -> str:
        """The address this server answers for a data IRI (they differ behind another domain)."""
        base, public = self.config.base_iri, self.config.public_base
        if public and iri.startswith(base):
            return public + iri[len(base) :]
        return iri


def _client_gone() -> Callable[[], bool] | None:
    """waitress's own test of whether the client closed its connection (needs its lookahead)."""
    if not has_request_context():
        return None
    return request.environ.get("waitress.client_disconnected")


def state() -> AppState:
    return current_app.extensions["plangraph"]
