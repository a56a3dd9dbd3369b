"""The Flask application: SPARQL protocol, named queries, linked-data pages, dumps, validation."""

from __future__ import annotations

import errno
import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from plangraph.errors import PayloadTooLarge, PlanGraphError, one_line

from .access_log import AccessLog, open_log
from .state import AppState

log = logging.getLogger(__name__)


def create_app(app_state: AppState) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = app_state.config.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["plangraph"] = app_state

    from . import (
        compare,
        graph_store,
        health,
        indexes,
        ingest,
        queries,
        resources,
        search,
        sparql,
        validate,
    )

    app.register_blueprint(health.blueprint)
    app.register_blueprint(sparql.blueprint)
    app.register_blueprint(queries.blueprint)
    app.register_blueprint(graph_store.blueprint)
    app.register_blueprint(validate.blueprint)
    app.register_blueprint(ingest.blueprint)
    app.register_blueprint(compare.blueprint)
    app.register_blueprint(search.blueprint)
    app.register_blueprint(indexes.blueprint)
    app.register_blueprint(resources.blueprint)  # last: it owns the catch-all IRI paths

    app.register_error_handler(PlanGraphError, _plangraph_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OSError, _os_error)
    app.register_error_handler(Exception, _internal_error)
    app.after_request(_cors)
    app.after_request(_security_headers)
    app.wsgi_app = sparql.LeanPath(app, app_state)  # type: ignore[method-assign]
    stream = open_log(app_state.config.access_log)
    if stream is not None:
        app.wsgi_app = AccessLog(app.wsgi_app, stream)  # type: ignore[method-assign]
    return app


def error_response(status: int, message: str) -> Response:
    """One line of plain text: what is wrong and where. Never a traceback, never a whole body
    echoed back: what a message quotes of the request is escaped and cut (errors.one_line)."""
    return Response(one_line(message) + "\n", status=status, mimetype="text/plain")


def _plangraph_error(err: PlanGraphError) -> Response:
    return error_response(err.status, str(err))


def _too_large(_: RequestEntityTooLarge) -> Response:
    limit = PayloadTooLarge("").status
    return error_response(
        limit,
        f"request body over the limit of {request.max_content_length or 0} bytes / 请求体过大",
    )


def _http_error(err: HTTPException) -> Response:
    return error_response(err.code or 500, f"{err.code} {err.name}: {err.description}")


def _os_error(err: OSError) -> Response:
    """A full disk under --store is the operator's to fix, not a bug: say so, keep serving reads.

    pyoxigraph reports RocksDB's I/O errors as OSError with the reason in the text only."""
    if err.errno in {errno.ENOSPC, errno.EDQUOT} or "No space left on device" in str(err):
        log.error("disk full on %s %s: %s", request.method, request.path, err)
        return error_response(
            507,
            "the store's disk is full; the request was not completed, reads go on / 存储磁盘已满",
        )
    return _internal_error(err)


INTERNAL_ERROR = "internal server error; it has been logged / 服务器内部错误"


def _internal_error(err: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.path)
    return error_response(500, INTERNAL_ERROR)


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept, Authorization"
    response.headers["Access-Control-Expose-Headers"] = "X-PlanGraph-Truncated, X-PlanGraph-Rows"
    return response


# Everything a page needs comes from this server: scripts only from files (no inline script, so
# an injected <script> cannot run), styles from files plus the style attributes YASGUI sets,
# images from files or data: URLs (YASGUI's icons). Nothing may frame the pages.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _security_headers(response: Response) -> Response:
    """Browsers must not guess content types, run scripts from elsewhere or frame the pages."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if response.status_code == 406 and "Accept" not in response.headers.get("Vary", ""):
        response.headers.add("Vary", "Accept")  # a cache must not give it to another Accept
    return response
