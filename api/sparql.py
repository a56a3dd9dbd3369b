"""The SPARQL 1.1 Protocol at /sparql: queries by GET and POST, service description, no updates."""

from __future__ import annotations

import hmac
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import IO
from urllib.parse import parse_qs

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, render_template, request, url_for
from werkzeug.http import parse_options_header
from werkzeug.utils import get_content_type

from plangraph import store
from plangraph.errors import (
    InputError,
    PlanGraphError,
    Unauthorized,
    Unavailable,
    UpdateRefused,
)
from plangraph.jobs import UpdateJob, UpdateOutcome
from plangraph.named_queries import NamedQuery
from plangraph.sparql import (
    GRAPH_FORMATS,
    QueryInfo,
    QueryJob,
    QueryOutcome,
    analyse,
    check_depth,
    check_query,
    check_size,
    choose_media,
    negotiate,
)

from . import results_page
from .state import AppState, state

log = logging.getLogger(__name__)
blueprint = Blueprint("sparql", __name__)
# RFC 6750's b64token; anything else in Authorization is not a bearer token.
BEARER = re.compile(r"Bearer ([A-Za-z0-9\-._~+/]+=*)")

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"
# The parameters of a plain query (LeanPath: GET, or POST as a query or a form); any other goes
# to Flask's route.
PLAIN_PARAMS = {"query", "default-graph-uri", "named-graph-uri"}
# An answer over this size goes to waitress as a file wrapper: sent from the body itself, where
# a plain iterable is copied into waitress's buffer and, past 1 MiB, into a temporary file (0.8 ms
# against 0.06 ms for 2 MB here; with the temporary directory full, waitress fails and the
# client waits for an answer that never comes). An answer over engine.FILE_BODY comes as a file
# already; one in memory is one the worker could not write to its temporary directory, or one
# from a remote engine, at most --max-answer-bytes.
SMALL_BODY = 64 * 1024
# A large answer comes from its worker as a file (engine.FILE_BODY), and waitress sends it from
# there in blocks of this size.
FILE_BLOCK = 256 * 1024


@blueprint.route("/sparql/", methods=["GET", "POST", "OPTIONS"])
@blueprint.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def endpoint() -> Response:
    if request.method == "OPTIONS":
        return Response(status=204)
    params = _protocol_params()
    if "update" in params:
        return _update(params)
    queries = params.get("query", [])
    if len(queries) > 1:
        raise InputError("more than one query parameter / 只能有一个 query 参数")
    if not queries:
        return _no_query()
    app_state = state()
    return run_query(app_state, queries[0], params)


def run_query(
    app_state: AppState,
    query: str,
    params: dict[str, list[str]],
    substitutions: dict[str, str] | None = None,
    named: NamedQuery | None = None,
) -> Response:
    """Check, negotiate and run one query; shared with the named-query routes."""
    config = app_state.config
    info = check_query(
        query,
        app_state.named_graphs,
        max_bytes=config.max_query_bytes,
        max_depth=config.max_depth,
        service_check=config.service_check,
    )
    kind = "results" if info.form in {"SELECT", "ASK", ""} else "graph"
    html = results_page.wants_html(params)
    fmt = "json" if html else negotiate(request.headers.get("Accept"), _one(params, "format"), kind)
    job = _job(app_state, query, info, params, fmt, request.environ, substitutions)
    if html:  # a browser: the results as a page (api/results_page.py)
        return results_page.page(app_state, job, kind, query_text=query, named=named)
    outcome = app_state.run(job)
    response = Response(outcome.body, mimetype=outcome.media_type)
    response.headers.extend(answer_headers(outcome, config.max_rows, config.max_answer_bytes))
    return response


def _job(
    app_state: AppState,
    query: str,
    info: QueryInfo,
    params: dict[str, list[str]],
    fmt: str,
    environ: dict[str, object],
    substitutions: dict[str, str] | None = None,
) -> QueryJob:
    kind = "results" if info.form in {"SELECT", "ASK", ""} else "graph"
    config = app_state.config
    return QueryJob(
        query=query,
        fmt=fmt,
        max_rows=config.max_rows,
        default_graphs=params.get("default-graph-uri") or None,
        named_graphs=params.get("named-graph-uri") or None,
        substitutions=substitutions or {},
        prefixes=app_state.graph.prefixes if kind == "graph" else {},
        base_iri=_base_iri(environ) if "<" in query else None,
        max_bytes=config.max_answer_bytes,
        vet=bool(info.mentions),
    )


def _base_iri(environ: dict[str, object]) -> str:
    """The request's own URL, for relative IRIs in a query; werkzeug's base_url costs 0.1 ms."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
    path = str(environ.get("PATH_INFO", "")).encode("latin-1").decode("utf-8", "replace")
    return f"{environ['wsgi.url_scheme']}://{host}{environ.get('SCRIPT_NAME', '')}{path}"


def answer_headers(outcome: QueryOutcome, max_rows: int, max_bytes: int) -> list[tuple[str, str]]:
    """What an answer says about itself besides its body: row count, and whether it was cut."""
    headers = [("Vary", "Accept"), ("X-PlanGraph-Rows", str(outcome.rows))]
    if outcome.truncated:
        if outcome.cut_by == "bytes":
            headers.append(
                (
                    "X-PlanGraph-Truncated",
                    f"true; max-bytes={max_bytes}; the answer was cut at the size limit, add LIMIT",
                )
            )
        else:
            headers.append(("X-PlanGraph-Truncated", f"true; max-rows={max_rows}"))
    return headers


class LeanPath:
    """WSGI in front of Flask for the protocol's plain case: one query to /sparql by GET, or by
    POST as application/sparql-query, answered in a negotiated format to a program.

    Flask's request context, routing and Response objects cost ~0.2 ms of a 1 ms request (the
    profile is in bench/README.md). Everything else, and any request this path is unsure of —
    a form body, ?format=, a browser, an update, a question without a query, a check that
    fails — goes to Flask untouched (a body already read is handed on), so errors keep one
    home. Errors of the run itself are answered by the same functions as Flask's handlers.
    The path turns itself off when the app has request hooks it does not know."""

    def __init__(self, app: Flask, app_state: AppState) -> None:
        self.app = app
        self.flask_wsgi = app.wsgi_app
        self.app_state = app_state
        self._enabled: bool | None = None
        self._common: list[tuple[str, str]] = []

    def _ready(self) -> bool:
        """Decided at the first request, once every hook is registered."""
        if self._enabled is None:
            from . import _cors, _security_headers

            known_after = [_cors, _security_headers]
            hooks = [self.app.before_request_funcs, self.app.teardown_request_funcs]
            hooks += [self.app.url_value_preprocessors]
            self._enabled = (
                not any(h.get(None) or h.get("sparql") for h in hooks)
                and self.app.after_request_funcs.get(None) == known_after
                and not self.app.after_request_funcs.get("sparql")
            )
            probe = Response(b"")
            for hook in known_after:
                probe = hook(probe)
            skip = {"content-type", "content-length"}
            self._common = [(k, v) for k, v in probe.headers.items() if k.lower() not in skip]
        return self._enabled

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") not in ("/sparql", "/sparql/") or not self._ready():
            return self.flask_wsgi(environ, start_response)
        job = self._plain_job(environ)
        if job is None:
            return self.flask_wsgi(environ, start_response)
        config = self.app_state.config
        try:
            outcome = self.app_state.run(
                job, cancelled=environ.get("waitress.client_disconnected"), keep_file=True
            )
        except PlanGraphError as err:
            return self._error(err, environ, start_response)
        except Exception:
            log.exception("internal error on %s /sparql", environ.get("REQUEST_METHOD"))
            return self._error(None, environ, start_response)
        headers = [
            ("Content-Type", get_content_type(outcome.media_type, "utf-8")),
            ("Content-Length", str(outcome.size)),
            *answer_headers(outcome, config.max_rows, config.max_answer_bytes),
            *self._common,
        ]
        start_response("200 OK", headers)
        wrapper = environ.get("wsgi.file_wrapper")
        if outcome.file is not None:  # a large answer, in the file a worker wrote
            if wrapper is not None:
                return wrapper(outcome.file, FILE_BLOCK)
            return _file_chunks(outcome.file)
        if wrapper is not None and len(outcome.body) > SMALL_BODY:
            return wrapper(io.BytesIO(outcome.body), SMALL_BODY)
        return [outcome.body]

    def _plain_job(self, environ: dict) -> QueryJob | None:
        """The job of a plain protocol query, or None: Flask answers (the body stays readable)."""
        method = environ.get("REQUEST_METHOD")
        params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if method == "POST":
            if params or environ.get("HTTP_TRANSFER_ENCODING"):
                return None
            mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
            mimetype = mimetype.lower()
            charset = options.get("charset", "utf-8").lower()
            if mimetype not in {QUERY_BODY, FORM} or charset not in {"utf-8", "utf8"}:
                return None
            try:
                length = int(environ.get("CONTENT_LENGTH") or "")
            except ValueError:
                return None
            if not 0 <= length <= self.app_state.config.max_body_bytes:
                return None
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)  # Flask may still read it
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return None
            # a form is what SPARQLWrapper and most libraries POST
            params = {"query": [text]} if mimetype == QUERY_BODY else parse_qs(text, True)
        elif method != "GET":
            return None
        accept = environ.get("HTTP_ACCEPT")
        queries = params.get("query") or []
        if len(queries) != 1 or set(params) - PLAIN_PARAMS or "text/html" in (accept or "").lower():
            return None
        app_state = self.app_state
        config = app_state.config
        try:
            info = check_query(
                queries[0],
                app_state.named_graphs,
                max_bytes=config.max_query_bytes,
                max_depth=config.max_depth,
                service_check=config.service_check,
            )
            kind = "results" if info.form in {"SELECT", "ASK", ""} else "graph"
            fmt = negotiate(accept, None, kind)
        except PlanGraphError:
            return None  # Flask checks again and answers with its handlers
        return _job(app_state, queries[0], info, params, fmt, environ)

    def _error(
        self, err: PlanGraphError | None, environ: dict, start_response: Callable
    ) -> Iterable[bytes]:
        from . import _cors, _plangraph_error, _security_headers, error_response

        if err is None:
            response = error_response(
                500, "internal server error; it has been logged / 服务器内部错误"
            )
        elif isinstance(err, Unavailable):
            response = _unavailable(err)
        else:
            response = _plangraph_error(err)
        return _security_headers(_cors(response))(environ, start_response)


def _file_chunks(answer: IO[bytes]) -> Iterator[bytes]:
    """A file's blocks, for a WSGI server without wsgi.file_wrapper; closes it at the end."""
    with answer:
        yield from iter(lambda: answer.read(FILE_BLOCK), b"")


@blueprint.app_errorhandler(Unavailable)
def _unavailable(err: Unavailable) -> Response:
    """A 503 says when to come back, when waiting helps (every worker was busy)."""
    from . import error_response

    response = error_response(err.status, str(err))
    if err.retry_after:
        response.headers["Retry-After"] = str(err.retry_after)
    return response


def _protocol_params() -> dict[str, list[str]]:
    """Protocol parameters from the URL and, for POST, the body, checked as the spec says."""
    params = {k: request.args.getlist(k) for k in request.args}
    if request.method != "POST":
        return params
    content_type = (request.mimetype or "").lower()
    if not content_type:
        raise InputError("POST without a Content-Type / POST 请求缺少 Content-Type")
    charset = (request.mimetype_params.get("charset") or "utf-8").lower()
    if charset not in {"utf-8", "utf8"}:
        raise InputError(f"the body must be UTF-8, not {charset} / 请求体必须为 UTF-8")
    body = _utf8(request.get_data(cache=True))
    if content_type == FORM:
        for key, values in parse_qs(body, keep_blank_values=True).items():
            params.setdefault(key, []).extend(values)
    elif content_type == QUERY_BODY:
        if "query" in params:
            raise InputError("query given both in the URL and in the body / 查询重复")
        params["query"] = [body]
    elif content_type == UPDATE_BODY:
        params["update"] = [body]
    else:
        raise PlanGraphError(
            f"unsupported Content-Type {content_type}; use {FORM} or {QUERY_BODY} / "
            "不支持的 Content-Type",
            status=415,
        )
    return params


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            f"the body is not valid UTF-8 (byte {err.start}) / 请求体不是有效的 UTF-8"
        ) from None


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    return values[0] if values else None


def _update(params: dict[str, list[str]]) -> Response:
    """Refused unless the server has a write token and the request carries exactly it.

    The update is worked out in a worker (time and memory limits, no network); what it changed
    is then applied here, journalled first with --store, and every worker after the answer
    sees it."""
    app_state = state()
    config = app_state.config
    if request.method != "POST" or not config.write_token:
        raise UpdateRefused(
            "this endpoint is read-only: SPARQL Update is refused / 本端点只读，拒绝 SPARQL 更新"
        )
    authorise(config.write_token)
    if config.sparql_endpoint:
        raise UpdateRefused(
            "this server reads a remote SPARQL engine: send updates to the engine itself, or "
            "reload it with `plangraph load --to` / 本服务读取远程引擎，请直接向引擎发送更新"
        )
    updates = params["update"]
    if len(updates) > 1:
        raise InputError("more than one update parameter / 只能有一个 update 参数")
    text = updates[0]
    check_size(text, config.max_query_bytes, what="update")
    check_depth(analyse(text).depth, config.max_depth, what="update")
    job = UpdateJob(
        text,
        vet=config.service_check,
        copy_first=app_state.graph.path is not None,
        max_bytes=config.max_answer_bytes,
    )
    with app_state.write_lock:
        outcome = app_state.perform(job, config.update_timeout, retire=True)
        assert isinstance(outcome, UpdateOutcome)
        store.record_update(app_state.graph, outcome.removed, outcome.added)
        app_state.refresh()
        for engine in app_state.engines():
            engine.new_generation(outcome.removed, outcome.added)
    return Response(status=204)


def authorise(token: str) -> None:
    """Only `Authorization: Bearer <token>`, compared in constant time; anything else is 401."""
    given = request.headers.get("Authorization", "")
    match = BEARER.fullmatch(given) if given.isascii() else None
    if match is None or not hmac.compare_digest(match.group(1).encode(), token.encode()):
        raise Unauthorized(
            "updates need 'Authorization: Bearer <token>' with this server's write token / "
            "更新需要正确的写入令牌"
        )


@blueprint.app_errorhandler(Unauthorized)
def _unauthorized(err: Unauthorized) -> Response:
    from . import error_response

    response = error_response(err.status, str(err))
    response.headers["WWW-Authenticate"] = 'Bearer realm="plangraph"'
    return response


def _no_query() -> Response:
    """A client that asks for HTML by name (a browser) gets the query editor; any other client,
    `Accept: */*` included (curl, most libraries), the service description: HTML comes last."""
    offered = [(media, key) for key, (media, _) in GRAPH_FORMATS.items()] + [("text/html", "html")]
    accept = request.headers.get("Accept") or "text/turtle"
    choice = choose_media(accept, offered, what="the service description")
    if choice == "html":
        return Response(render_template("editor.html", **editor_context()), mimetype="text/html")
    return service_description(choice)


def editor_context() -> dict[str, object]:
    app_state = state()
    return {
        "endpoint": url_for("sparql.endpoint", _external=True),
        "named_queries": list(app_state.named_queries.values()),
        "prefixes": app_state.graph.prefixes,
    }


def service_description(fmt: str) -> Response:
    app_state = state()
    stats = app_state.stats
    endpoint_url = url_for("sparql.endpoint", _external=True)
    turtle = render_template(
        "service-description.ttl",
        endpoint=endpoint_url,
        graphs=sorted(stats.per_graph.items()),
        total=stats.triples,
    )
    media, rdf_format = GRAPH_FORMATS[fmt]
    if rdf_format == ox.RdfFormat.TURTLE:
        body = turtle.encode()
    else:
        out = io.BytesIO()
        ox.serialize(ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE), out, rdf_format)
        body = out.getvalue()
    response = Response(body, mimetype=media)
    response.headers["Vary"] = "Accept"
    return response
