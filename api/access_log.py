"""One JSON line per request: what an operator greps, and a log shipper reads without a parser.

A WSGI wrapper, not a Flask hook, so the line is written when the body has been sent: its byte
count and duration include a streamed dump, and a client that leaves mid-answer is logged too.
Fields: time (UTC, ISO 8601), method, path (without the query string: it can be a whole SPARQL
query, or carry a token), status, bytes, duration_ms, query_ms (time spent in query workers,
null when the request ran none), client, user_agent. No request header other than User-Agent
is written, so Authorization never reaches the log.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

# The request's time in query workers (AppState adds to it through add_query_ms).
QUERY_MS = "plangraph.query_ms"
# The environ of the request this thread is answering: a query run outside Flask's request
# context (the lean /sparql path of api/sparql.py) still adds its time to the right line.
_current = threading.local()

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def open_log(target: str) -> IO[str] | None:
    """ "-": standard error; "": no log; anything else: a file, appended to, one line a write."""
    if target == "":
        return None
    if target == "-":
        return sys.stderr
    return open(target, "a", encoding="utf-8", buffering=1)  # open for the server's life


def add_query_ms(ms: float) -> None:
    """Add time spent answering queries to the request this thread is answering, if logged."""
    environ = getattr(_current, "environ", None)
    if environ is not None:
        environ[QUERY_MS] = (environ.get(QUERY_MS) or 0.0) + ms


class AccessLog:
    """Wraps a WSGI app; writes one line per request to `stream` (thread-safe)."""

    def __init__(self, app: WsgiApp, stream: IO[str]):
        self.app = app
        self.stream = stream
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        environ[QUERY_MS] = None
        seen: dict[str, int] = {"status": 0}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = int(status.split(" ", 1)[0])
            length = next((v for k, v in headers if k.lower() == "content-length"), "")
            seen["length"] = int(length) if length.isdigit() else 0
            return start_response(status, headers, exc_info)

        _current.environ = environ
        try:
            body = self.app(environ, start)
        except BaseException:
            self._write(environ, 500, 0, started)
            raise
        finally:
            _current.environ = None
        wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(wrapper, type) and type(body) is wrapper:
            # The server sends a file wrapper itself, and only one of its own class (waitress:
            # `is ReadOnlyFileBasedBuffer`): wrapped, the file would be copied through the
            # server's buffers instead. It is logged when the server closes it, at its length.
            return _on_close(
                body, lambda: self._write(environ, seen["status"], seen["length"], started)
            )
        return _Counted(body, lambda sent: self._write(environ, seen["status"], sent, started))

    def _write(self, environ: dict[str, Any], status: int, sent: int, started: float) -> None:
        query_ms = environ.get(QUERY_MS)
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": environ.get("PATH_INFO", ""),
            "status": status,
            "bytes": sent,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "query_ms": None if query_ms is None else round(query_ms, 2),
            "client": environ.get("REMOTE_ADDR", ""),
            "user_agent": environ.get("HTTP_USER_AGENT", ""),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            try:
                self.stream.write(line)
                self.stream.flush()
            except (OSError, ValueError):
                pass  # a full disk or a closed log must not fail the request it describes


def _on_close(body: Any, done: Callable[[], None]) -> Any:
    """The same file wrapper, calling `done` once after its own close."""
    close = getattr(body, "close", None)
    called = False

    def logged_close() -> None:
        nonlocal called
        try:
            if close is not None:
                close()
        finally:
            if not called:
                called = True
                done()

    body.close = logged_close
    return body


class _Counted:
    """The body, passed through, counting bytes; logs once when the server closes it."""

    def __init__(self, body: Iterable[bytes], done: Callable[[int], None]):
        self._body = body
        self._done = done
        self._sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._done(self._sent)
