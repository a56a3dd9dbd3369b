"""Errors a user can cause: each carries where it happened, so it can be told in one line."""

from __future__ import annotations

from dataclasses import dataclass


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
