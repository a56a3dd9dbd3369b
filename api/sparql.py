"""The SPARQL 1.1 Protocol at /sparql: queries by GET and POST, service description, no updates."""

from __future__ import annotations

import hmac
import io
import re
from urllib.parse import parse_qs

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, url_for

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

blueprint = Blueprint("sparql", __name__)
# RFC 6750's b64token; anything else in Authorization is not a bearer token.
BEARER = re.compile(r"Bearer ([A-Za-z0-9\-._~+/]+=*)")

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"


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
    job = QueryJob(
        query=query,
        fmt=fmt,
        max_rows=app_state.config.max_rows,
        default_graphs=params.get("default-graph-uri") or None,
        named_graphs=params.get("named-graph-uri") or None,
        substitutions=substitutions or {},
        prefixes=app_state.graph.prefixes if kind == "graph" else {},
        base_iri=_base_iri() if "<" in query else None,
        max_bytes=config.max_answer_bytes,
        vet=bool(info.mentions),
    )
    if html:  # a browser: the results as a page (api/results_page.py)
        return results_page.page(app_state, job, kind, query_text=query, named=named)
    return _respond(app_state.run(job), config.max_rows, config.max_answer_bytes)


def _base_iri() -> str:
    """The request's own URL, for relative IRIs in a query; werkzeug's base_url costs 0.1 ms."""
    environ = request.environ
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
    return f"{environ['wsgi.url_scheme']}://{host}{environ.get('SCRIPT_NAME', '')}{request.path}"


def _respond(outcome: QueryOutcome, max_rows: int, max_bytes: int) -> Response:
    response = Response(outcome.body, mimetype=outcome.media_type)
    response.headers["Vary"] = "Accept"
    response.headers["X-PlanGraph-Rows"] = str(outcome.rows)
    if outcome.truncated:
        if outcome.cut_by == "bytes":
            response.headers["X-PlanGraph-Truncated"] = (
                f"true; max-bytes={max_bytes}; the answer was cut at the size limit, add LIMIT"
            )
        else:
            response.headers["X-PlanGraph-Truncated"] = f"true; max-rows={max_rows}"
    return response


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
    _authorise(config.write_token)
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


def _authorise(token: str) -> None:
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
