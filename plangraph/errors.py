"""Errors a user can cause: each carries where it happened, so it can be told in one line."""

from __future__ import annotations

import re
from dataclasses import dataclass

# What an error line may carry of the input it quotes: a word of at most QUOTE_LIMIT characters,
# a line of at most LINE_LIMIT, no control characters (a terminal or log reads them as commands).
QUOTE_LIMIT = 80
LINE_LIMIT = 400
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LONG_WORD = re.compile(rf"\S{{{QUOTE_LIMIT + 1},}}")


@dataclass
class PlanGraphError(Exception):
    """Base of every error caused by input; the CLI prints it, the API answers with `status`."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    status: int = 400
    exit_code: int = 2

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)
        return f"{where}: {self.message}" if where else self.message

    def one_line(self) -> str:
        """The error fit to print: where (whole, a path may be long), then the message cut
        and escaped by one_line()."""
        where = ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)
        message = one_line(self.message)
        return f"{_escape(where)}: {message}" if where else message


class InputError(PlanGraphError):
    """A file or body that cannot be read as what it claims to be (CLI exit 2, HTTP 400)."""


class QuerySyntaxError(PlanGraphError):
    """A query the SPARQL parser rejects (HTTP 400)."""


class QueryRefused(PlanGraphError):
    """A query the endpoint will not run for safety (SERVICE, remote FROM) (HTTP 400)."""


@dataclass
class UpdateRefused(PlanGraphError):
    """SPARQL Update on a read-only endpoint (HTTP 403)."""

    status: int = 403


@dataclass
class QueryTimeout(PlanGraphError):
    """A query stopped at the time limit (HTTP 503)."""

    status: int = 503


@dataclass
class NotAcceptable(PlanGraphError):
    """No representation matches the Accept header (HTTP 406)."""

    status: int = 406


@dataclass
class PayloadTooLarge(PlanGraphError):
    """A request body over the size limit (HTTP 413)."""

    status: int = 413


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """Input named in a message: quoted, control characters escaped, cut after `limit` chars."""
    text = _escape(str(value))
    return "'" + (text[:limit] + "…" if len(text) > limit else text) + "'"


def one_line(message: str) -> str:
    """An error message fit to print or send: one line, every long word cut, bounded length.

    Messages quote what the user sent (a name, an IRI, a header); this keeps an answer from
    echoing a whole body, or control characters, whatever the message was built from."""
    text = _LONG_WORD.sub(lambda m: m.group(0)[:QUOTE_LIMIT] + "…", _escape(message.strip()))
    return text if len(text) <= LINE_LIMIT else text[:LINE_LIMIT] + "…"


def _escape(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def syntax_location(err: SyntaxError) -> tuple[int | None, int | None, str]:
    """Line, column and message of a pyoxigraph parser error, whichever form it takes.

    RDF parsers fill SyntaxError.lineno/offset; the SPARQL parser writes "error at L:C: msg".
    """
    text = str(err.msg if err.msg else err)
    if err.lineno is not None:
        message = text.split(": ", 1)[1] if text.startswith("Parser error at ") else text
        return err.lineno, err.offset, message
    if text.startswith("error at "):
        position, _, message = text[len("error at ") :].partition(": ")
        line, _, column = position.partition(":")
        if line.isdigit() and column.isdigit():
            return int(line), int(column), message.strip()
    return None, None, text


@dataclass
class StoreFull(PlanGraphError):
    """An --store's file system refused a write (full disk); reads go on (HTTP 507)."""

    status: int = 507


@dataclass
class Unauthorized(PlanGraphError):
    """A write request without exactly `Authorization: Bearer <token>` (HTTP 401)."""

    status: int = 401


class TooComplex(PlanGraphError):
    """Input nested deeper than the limit, refused before a recursive parser sees it (HTTP 400)."""


@dataclass
class Unavailable(PlanGraphError):
    """The server cannot take the request now (HTTP 503); `retry_after` seconds, if it helps."""

    status: int = 503
    retry_after: int | None = None


@dataclass
class StoreChanged(Unavailable):
    """An on-disk store's files changed under a worker's read-only handle (RocksDB compaction by
    the writer); the worker reopens the store and runs the job again once (HTTP 503 if not)."""


@dataclass
class Overloaded(Unavailable):
    """Every worker stayed busy for the whole queue wait (HTTP 503 with Retry-After)."""


@dataclass
class WorkerStopped(Unavailable):
    """The worker died under the request: its memory limit, or a crash (HTTP 503)."""


@dataclass
class RemoteFailed(PlanGraphError):
    """The remote SPARQL engine is unreachable, failed, or cut an answer it cannot page (502)."""

    status: int = 502
