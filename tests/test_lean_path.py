"""/sparql's lean path (api/sparql.py LeanPath) answers exactly as the Flask route does.

A plain query (GET ?query=, or POST as application/sparql-query or as a form) skips Flask's
request machinery; the same form sent with chunked transfer encoding goes through the Flask
route. Status, headers and body must be the same either way, for answers and for errors that
arise while the query runs.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests

SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 5"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5"
BAD_FUNCTION = "SELECT (<urn:x-no-such:function>(1) AS ?x) WHERE {}"  # fails when it runs
BAD_SYNTAX = "SELECT ?x WHERE { ?x ?y }"


def _lean(server, query: str, accept: str) -> requests.Response:
    return requests.post(
        server.url + "/sparql",
        data=query.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": accept},
        timeout=30,
    )


def _form(server, query: str, accept: str) -> requests.Response:
    return requests.post(
        server.url + "/sparql", data={"query": query}, headers={"Accept": accept}, timeout=30
    )


def _flask(server, query: str, accept: str) -> requests.Response:
    """A form in chunks (a generator body): the lean path leaves chunked bodies to Flask."""
    body = urlencode({"query": query}).encode()
    return requests.post(
        server.url + "/sparql",
        data=iter([body[:10], body[10:]]),
        headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )


def _same(lean: requests.Response, routed: requests.Response) -> None:
    assert lean.status_code == routed.status_code
    assert lean.content == routed.content
    ignore = {"date"}
    assert {k.lower(): v for k, v in lean.headers.items() if k.lower() not in ignore} == {
        k.lower(): v for k, v in routed.headers.items() if k.lower() not in ignore
    }


@pytest.mark.parametrize(
    "query, accept",
    [
        (SELECT, "application/sparql-results+json"),
        (SELECT, "text/csv"),
        (SELECT, "application/sparql-results+xml"),
        ("ASK {}", "*/*"),
        (CONSTRUCT, "text/turtle"),
        (CONSTRUCT, "application/n-triples"),
    ],
)
def test_lean_answer_equals_the_flask_routes(mini_server, query, accept):
    lean, routed = _lean(mini_server, query, accept), _flask(mini_server, query, accept)
    assert lean.status_code == 200
    assert routed.request.headers.get("Transfer-Encoding") == "chunked"
    _same(lean, routed)
    _same(_form(mini_server, query, accept), routed)


@pytest.mark.parametrize("query", [BAD_FUNCTION, BAD_SYNTAX])
def test_lean_error_equals_the_flask_routes(mini_server, query):
    lean = _lean(mini_server, query, "application/sparql-results+json")
    routed = _flask(mini_server, query, "application/sparql-results+json")
    assert 400 <= lean.status_code < 500
    assert lean.text.count("\n") == 1  # one line, no traceback
    _same(lean, routed)
    _same(_form(mini_server, query, "application/sparql-results+json"), routed)


def test_get_with_query_parameter_is_answered_like_post(mini_server):
    got = requests.get(
        mini_server.url + "/sparql",
        params={"query": SELECT},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    _same(got, _flask(mini_server, SELECT, "application/sparql-results+json"))


def test_the_app_takes_the_lean_path_with_its_own_hooks(tmp_path):
    """The path turns itself off when the app gains request hooks it does not know; the
    shipped app must not have any, or every test above would compare Flask with itself."""
    from pathlib import Path

    from plangraph.api import create_app
    from plangraph.api.access_log import AccessLog
    from plangraph.api.sparql import LeanPath
    from plangraph.api.state import AppState

    from plangraph import store
    from plangraph.config import Config

    mini = Path(__file__).parent / "data" / "mini"
    config = Config(data=[mini])
    app = create_app(AppState(config, store.load(config.data)))
    lean = app.wsgi_app
    if isinstance(lean, AccessLog):  # on by default: it wraps the lean path, outermost
        lean = lean.app
    assert isinstance(lean, LeanPath)
    assert lean._ready()
    app.before_request(lambda: None)
    assert not LeanPath(app, app.extensions["plangraph"])._ready()


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv"])
def test_a_large_answer_is_sent_whole_as_through_flask(live_server, accept):
    """Answers over 64 KiB leave the lean path as a file wrapper: every byte must arrive."""
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    lean, routed = _lean(live_server, query, accept), _flask(live_server, query, accept)
    assert lean.status_code == 200
    assert len(lean.content) > 64 * 1024
    _same(lean, routed)


def test_a_form_post_takes_the_lean_path_and_a_chunked_one_does_not():
    """SPARQLWrapper and most clients POST forms: those must not pay for Flask's machinery."""
    import io
    from pathlib import Path

    from plangraph.api import create_app
    from plangraph.api.access_log import AccessLog
    from plangraph.api.state import AppState

    from plangraph import store
    from plangraph.config import Config

    mini = Path(__file__).parent / "data" / "mini"
    config = Config(data=[mini], access_log="")
    app = create_app(AppState(config, store.load(config.data)))
    lean = app.wsgi_app.app if isinstance(app.wsgi_app, AccessLog) else app.wsgi_app
    routed: list[str] = []

    def flask_wsgi(environ, start_response):
        routed.append(environ["PATH_INFO"])
        start_response("418 I'm a teapot", [])
        return [b""]

    lean.flask_wsgi = flask_wsgi
    body = urlencode({"query": "ASK {}", "default-graph-uri": "urn:x-none"}).encode()

    def call(**extra: str) -> str:
        status: list[str] = []
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/sparql",
            "QUERY_STRING": "",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            **extra,
        }
        b"".join(lean(environ, lambda s, h, e=None: status.append(s)))
        return status[0]

    assert call() == "200 OK" and not routed
    assert call(HTTP_TRANSFER_ENCODING="chunked").startswith("418") and routed == ["/sparql"]
