"""/healthz and /readyz: what a load balancer or an orchestrator asks before sending traffic.

/healthz is liveness: the process answers HTTP. It touches no store and no worker, so a replica
busy with slow queries is not restarted for being busy. /readyz is readiness: the data is loaded,
the search index is built, a query worker is free and a trivial query (`ASK {}`) answers within
READY_SECONDS; otherwise 503 with a one-line reason, so the balancer sends the next request to
another replica. Both answer JSON and must never be cached (a cached "ok" hides an outage).
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify

from plangraph.errors import PlanGraphError
from plangraph.sparql import QueryJob

from .state import AppState, state

blueprint = Blueprint("health", __name__)

READY_SECONDS = 1.0  # the trivial query's bound: a probe must not wait behind slow queries
PROBE = "ASK {}"


@blueprint.get("/healthz")
def healthz() -> Response:
    return _answer(200, {"status": "ok"})


@blueprint.get("/readyz")
def readyz() -> Response:
    app_state = state()
    reason = not_ready(app_state)
    if reason is not None:
        return _answer(503, {"status": "not ready", "reason": reason})
    started = time.perf_counter()
    try:
        app_state.perform(QueryJob(PROBE, "json"), READY_SECONDS)
    except PlanGraphError as err:
        return _answer(503, {"status": "not ready", "reason": err.one_line()})
    took = (time.perf_counter() - started) * 1000
    return _answer(200, {"status": "ready", "probe_ms": round(took, 2)})


def not_ready(app_state: AppState) -> str | None:
    """Why the replica cannot answer now, without waiting; None when it can try."""
    if not app_state.search_ready.is_set():
        return "the search index is being built / 正在建立搜索索引"
    engines = app_state.engines()
    if engines and all(engine.idle_workers() == 0 for engine in engines):
        workers = sum(engine.size for engine in engines)
        return f"all {workers} query workers are busy / 所有查询进程繁忙"
    return None


def _answer(status: int, body: dict[str, object]) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response
